import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SparkError } from '../errors.js';
import { maskSecret, registerSecret } from '../redact.js';
import type { z } from 'zod';
import { hasControl, quantityValue, repoProblem } from './inputs.js';
import { CONFIG_KEYS, KEYS, SECRET_KEYS, type ConfigKey, type KeySpec } from './keys.js';

export { CONFIG_KEYS, CONNECTION_KEYS, KEYS, SECRET_KEYS, type ConfigKey } from './keys.js';

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
  /**
   * The settings this command reads that the Secret may hold: it is asked only when one of them
   * is not given by a flag, the environment or the file (a default does not count: the Secret
   * ranks above defaults). Without it, any setting without a default that is missing asks it.
   */
  needs?: readonly ConfigKey[];
}

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPARK_CONFIG) return env.SPARK_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'spark', 'config.json');
}

async function readConfigFile(path: string): Promise<ConfigValues> {
  let text: string;
  try {
    // Sync: a few hundred bytes, read before anything else can run; the promise API's first use
    // starts libuv's thread pool and takes ~2.5 ms of every command.
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SparkError(`Cannot read the config file ${path}: ${(error as Error).message}`, { hint: `Check its permissions, or remove it.`, code: 'CONFIG_INVALID' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never V8's message: it quotes the text around the error, which may be a password.
    const { firstJsonError } = await import('./json-position.js');
    const at = firstJsonError(text);
    const where = at ? ` at line ${at.line}, column ${at.column}: ${at.what}` : '';
    throw new SparkError(`The config file ${path} is not valid JSON${where}.`, { hint: `Fix the file, e.g. {"POSTGRES_HOST": "postgres.example"}.`, code: 'CONFIG_INVALID' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SparkError(`The config file ${path} must hold one JSON object of settings.`, { hint: 'Write it as {"KEY": "value", ...}.', code: 'CONFIG_INVALID' });
  }
  const values: ConfigValues = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      // Named only when it looks like a setting's name: a key may be a value pasted in the wrong place.
      const { keyPosition } = await import('./json-position.js');
      const at = keyPosition(text, key);
      const which = /^[A-Z][A-Z0-9_]{0,63}$/.test(key) ? `${key} ` : '';
      throw new SparkError(`Unknown setting ${which}in ${path}${at ? ` at line ${at.line}, column ${at.column}` : ''}.`, { hint: `Known settings: ${CONFIG_KEYS.join(', ')}.`, code: 'CONFIG_INVALID' });
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

/** Whether the Secret may supply something this command reads (see LoadOptions.needs). */
const missing = (layers: ConfigValues[], needs?: readonly ConfigKey[]): boolean =>
  needs ? needs.some((k) => layers.every((l) => l[k] === undefined)) : CONFIG_KEYS.some((k) => layers.every((l) => l[k] === undefined) && !(KEYS[k] as KeySpec).default);

/** Merge flags > env > file > cluster Secret > defaults, validate, and remember every secret for redaction. */
export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const file = configFilePath(env);
  const flags = stripUndefined(options.flags ?? {});
  const fromEnv = pickEnv(env);
  const fromFile = await readConfigFile(file);
  const layers: Array<[Source, ConfigValues]> = [['flag', flags], ['env', fromEnv], ['file', fromFile]];
  if (options.clusterSecret && missing(layers.map(([, l]) => l), options.needs)) {
    // What was given is checked before the cluster is asked for the rest.
    check(...merge(layers), file);
    const partial = Object.assign({}, fromFile, fromEnv, flags);
    const fromCluster = await options.clusterSecret(partial);
    if (fromCluster) layers.push(['cluster-secret', stripUndefined(fromCluster)]);
  }

  const [values, sources] = merge(layers);
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
  for (const key of SECRET_KEYS) registerSecret(values[key]);
  check(values, sources, file);

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

const issues = (schema: z.ZodType<string> | undefined, value: string): string | undefined => {
  const result = schema?.safeParse(value);
  return result && !result.success ? result.error.issues.map((i) => i.message).join('; ') : undefined;
};

/** A bad value is a usage error (exit 2): the message names the setting and its source, the hint a valid value. */
function invalidSetting(key: ConfigKey, value: string, source: Source, file: string, why: string): SparkError {
  const spec = KEYS[key] as KeySpec;
  return new SparkError(`${key}=${spec.secret ? '***' : JSON.stringify(value)} (from ${describeSource(source, file)}) is invalid: ${why}.`, {
    hint: `Set a valid ${key} (${spec.description})${spec.example ? `, e.g. ${key}=${spec.example}` : ''}.`,
    code: 'CONFIG_INVALID',
    exitCode: 2,
  });
}

/** The value of each key from the first layer that has it. */
function merge(layers: Array<[Source, ConfigValues]>): [ConfigValues, Record<ConfigKey, Source>] {
  const values: ConfigValues = {};
  const sources = {} as Record<ConfigKey, Source>;
  for (const key of CONFIG_KEYS) {
    const layer = layers.find(([, l]) => l[key] !== undefined);
    if (layer) values[key] = layer[1][key];
    sources[key] = layer?.[0] ?? 'unset';
  }
  return [values, sources];
}

/**
 * Each value against its grammar, then the rules between settings: a request within its limit,
 * local paths only where they can be cloned.
 */
function check(values: ConfigValues, sources: Record<ConfigKey, Source>, file: string): void {
  for (const key of CONFIG_KEYS) {
    const spec = KEYS[key] as KeySpec;
    const value = values[key];
    if (value === undefined) continue;
    // Secrets may hold any character; every other value is also printed and written into objects.
    const why = !spec.secret && hasControl(value) ? 'contains control characters' : issues(spec.schema, value);
    if (why) throw invalidSetting(key, value, sources[key], file, why);
  }
  for (const [request, limit] of [['SPARK_CPU_REQUEST', 'SPARK_CPU_LIMIT'], ['SPARK_MEMORY_REQUEST', 'SPARK_MEMORY_LIMIT']] as const) {
    const r = values[request];
    const l = values[limit];
    if (r === undefined || l === undefined || quantityValue(r)! <= quantityValue(l)!) continue;
    throw new SparkError(`${request}=${JSON.stringify(r)} (from ${describeSource(sources[request], file)}) is more than ${limit}=${JSON.stringify(l)} (from ${describeSource(sources[limit], file)}).`, {
      hint: `A request must not exceed its limit: lower ${request} or raise ${limit}.`,
      code: 'CONFIG_INVALID',
      exitCode: 2,
    });
  }
  const dotfiles = values.SPARK_DOTFILES_REPO;
  if (dotfiles !== undefined && (values.SPARK_RUNTIME ?? 'kubernetes') !== 'local') {
    const why = repoProblem(dotfiles, false);
    if (why) throw invalidSetting('SPARK_DOTFILES_REPO', dotfiles, sources.SPARK_DOTFILES_REPO, file, why);
  }
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
