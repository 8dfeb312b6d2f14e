import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SparkError } from '../errors.js';
import { maskSecret, registerSecret } from '../redact.js';
import { CONFIG_KEYS, KEYS, type ConfigKey, type KeySpec } from './keys.js';

export { CONFIG_KEYS, KEYS, SECRET_KEYS, type ConfigKey } from './keys.js';

/** Where a value came from, highest precedence first. */
export type Source = 'flag' | 'env' | 'file' | 'cluster-secret' | 'default' | 'unset';

export type ConfigValues = Partial<Record<ConfigKey, string>>;

export interface Config {
  values: ConfigValues;
  sources: Record<ConfigKey, Source>;
  /** The config file that was read, if any. */
  file: string;
  get(key: ConfigKey): string | undefined;
  /** Like get, but a clear error with the fix when the value is missing. */
  require(key: ConfigKey): string;
}

export interface LoadOptions {
  flags?: ConfigValues;
  env?: NodeJS.ProcessEnv;
  /**
   * Reads the `spark-cli-config` Secret; called only when a value is still missing
   * after flags, environment and file, so commands that need no cluster never touch one.
   */
  clusterSecret?: (partial: ConfigValues) => Promise<ConfigValues | undefined>;
}

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPARK_CONFIG) return env.SPARK_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'spark', 'config.json');
}

async function readConfigFile(path: string): Promise<ConfigValues> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SparkError(`Cannot read the config file ${path}: ${(error as Error).message}`, { hint: `Check its permissions, or remove it.`, code: 'CONFIG_INVALID' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SparkError(`The config file ${path} is not valid JSON: ${(error as Error).message}`, { hint: `Fix the file, e.g. {"POSTGRES_HOST": "postgres.example"}.`, code: 'CONFIG_INVALID' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SparkError(`The config file ${path} must hold one JSON object of settings.`, { hint: 'Write it as {"KEY": "value", ...}.', code: 'CONFIG_INVALID' });
  }
  const values: ConfigValues = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      throw new SparkError(`Unknown setting ${key} in ${path}.`, { hint: `Known settings: ${CONFIG_KEYS.join(', ')}.`, code: 'CONFIG_INVALID' });
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new SparkError(`Setting ${key} in ${path} must be a string.`, { hint: `Write it as "${key}": "value".`, code: 'CONFIG_INVALID' });
    }
    values[key as ConfigKey] = String(value);
  }
  return values;
}

function pickEnv(env: NodeJS.ProcessEnv): ConfigValues {
  const values: ConfigValues = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

const missing = (layers: ConfigValues[]): boolean => CONFIG_KEYS.some((k) => layers.every((l) => l[k] === undefined) && !(KEYS[k] as KeySpec).default);

/** Merge flags > env > file > cluster Secret > defaults, validate, and remember every secret for redaction. */
export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const file = configFilePath(env);
  const flags = stripUndefined(options.flags ?? {});
  const fromEnv = pickEnv(env);
  const fromFile = await readConfigFile(file);
  const layers: Array<[Source, ConfigValues]> = [['flag', flags], ['env', fromEnv], ['file', fromFile]];
  if (options.clusterSecret && missing(layers.map(([, l]) => l))) {
    const partial = Object.assign({}, fromFile, fromEnv, flags);
    const fromCluster = await options.clusterSecret(partial);
    if (fromCluster) layers.push(['cluster-secret', stripUndefined(fromCluster)]);
  }

  const values: ConfigValues = {};
  const sources = {} as Record<ConfigKey, Source>;
  for (const key of CONFIG_KEYS) {
    const layer = layers.find(([, l]) => l[key] !== undefined);
    if (layer) {
      values[key] = layer[1][key];
      sources[key] = layer[0];
    } else {
      sources[key] = 'unset';
    }
  }
  // Defaults may depend on other settings (SPARK_DATABASE_HOST follows POSTGRES_HOST).
  const resolved: NodeJS.ProcessEnv = { ...env, ...values };
  for (const key of CONFIG_KEYS) {
    if (values[key] !== undefined) continue;
    const value = (KEYS[key] as KeySpec).default?.(resolved);
    if (value !== undefined) {
      values[key] = resolved[key] = value;
      sources[key] = 'default';
    }
  }

  for (const key of CONFIG_KEYS) {
    const spec = KEYS[key] as KeySpec;
    const value = values[key];
    if (spec.secret) registerSecret(value);
    if (value === undefined || !spec.schema) continue;
    const result = spec.schema.safeParse(value);
    if (!result.success) {
      const why = result.error.issues.map((i) => i.message).join('; ');
      throw new SparkError(`${key}=${spec.secret ? '***' : JSON.stringify(value)} (from ${describeSource(sources[key], file)}) is invalid: ${why}.`, {
        hint: `Set a valid ${key} (${spec.description}).`,
        code: 'CONFIG_INVALID',
        exitCode: sources[key] === 'flag' ? 2 : 1,
      });
    }
  }

  return {
    values,
    sources,
    file,
    get: (key) => values[key],
    require(key) {
      const value = values[key];
      if (value !== undefined) return value;
      throw new SparkError(`${key} is not set.`, {
        hint: `Set it in the environment (export ${key}=...), in ${file}, or in the spark-cli-config Secret of the spark namespace (see deploy/README.md).`,
        code: 'CONFIG_MISSING',
      });
    },
  };
}

function stripUndefined(values: ConfigValues): ConfigValues {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== '')) as ConfigValues;
}

export function describeSource(source: Source, file: string): string {
  switch (source) {
    case 'flag': return 'command-line flag';
    case 'env': return 'environment';
    case 'file': return file;
    case 'cluster-secret': return 'spark-cli-config Secret';
    case 'default': return 'default';
    case 'unset': return 'not set';
  }
}

export interface ConfigEntry {
  key: ConfigKey;
  value: string | null;
  source: Source;
  secret: boolean;
  description: string;
}

/** The effective configuration for display: secrets masked, never their values. */
export function describeConfig(config: Config): ConfigEntry[] {
  return CONFIG_KEYS.map((key) => {
    const spec = KEYS[key] as KeySpec;
    const value = config.values[key];
    return {
      key,
      value: value === undefined ? null : spec.secret ? maskSecret(value) : value,
      source: config.sources[key],
      secret: Boolean(spec.secret),
      description: spec.description,
    };
  });
}
