/**
 * The composition root: which adapters make a Backend of each kind. Adapters are imported lazily,
 * so a command only pays for the client libraries it uses.
 */
import type { Config } from './config/index.js';
import type { Backend } from './core/backend.js';
import type { CheckResult, RuntimeKind } from './core/ports.js';
import type { PasswordPorts } from './core/rotate.js';
import { validateName } from './names/index.js';
import { RUNTIME_KINDS, runtimeEntry } from './runtimes/registry.js';

export function openBackend(kind: RuntimeKind, config: Config): Promise<Backend> {
  return runtimeEntry(kind).open(config);
}

/** A kubeconfig file or in-cluster credentials exist (checked without loading the Kubernetes client). */
export function hasClusterConfig(config: Config): boolean {
  return runtimeEntry('kubernetes').isConfigured(config);
}

/** What rotate-password and repair work on: the spark role and, with a cluster, the sparks' Secrets and spark-cli-config. */
export async function openPasswordPorts(config: Config): Promise<PasswordPorts & { close(): Promise<void> }> {
  const { openRoleAccount, settingsFromConfig } = await import('./database/index.js');
  const account = openRoleAccount(settingsFromConfig(config));
  const close = () => account.close();
  if (!hasClusterConfig(config)) return { account, close };
  const { cliConfigStore, openSparkSecrets } = await import('./runtimes/kubernetes/cli-config-secret.js');
  const cluster = { KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT'), SPARK_NAMESPACE: config.get('SPARK_NAMESPACE') };
  return { account, sparks: await openSparkSecrets(cluster), store: cliConfigStore(cluster), close };
}

/** The runtime this command uses; never a silent switch from Kubernetes to local. */
export async function requireRuntime(config: Config): Promise<RuntimeKind> {
  const kind = config.get('SPARK_RUNTIME') as RuntimeKind;
  const entry = runtimeEntry(kind);
  if (!entry.isConfigured(config)) throw entry.notConfigured!(config);
  return kind;
}

/** Backends that may hold sparks, for list and doctor: the cluster if configured, local if used. */
export async function knownBackendKinds(config: Config): Promise<RuntimeKind[]> {
  const inUse = await Promise.all(RUNTIME_KINDS.map((kind) => runtimeEntry(kind).inUse(config)));
  return RUNTIME_KINDS.filter((_, i) => inUse[i]);
}

/** The checks of configuration itself, before any server is asked. */
export async function configChecks(config: Config, kind: RuntimeKind): Promise<CheckResult[]> {
  return [
    { id: 'config', title: 'Configuration is valid', status: 'ok', detail: `runtime ${kind}; config file ${config.file}` },
    ...(await runtimeEntry(kind).configChecks(config)),
    config.get('ANTHROPIC_API_KEY')
      ? { id: 'anthropic-key', title: 'ANTHROPIC_API_KEY is set', status: 'ok' }
      : { id: 'anthropic-key', title: 'ANTHROPIC_API_KEY is not set', status: 'warn', blocking: false, detail: 'Claude Code in sparks will ask you to log in', fix: 'export ANTHROPIC_API_KEY=sk-ant-... (or add it to the spark-cli-config Secret)' },
  ];
}

/**
 * Which backend holds the spark called `name`: local if it has a workspace (or the remains of
 * one), else the cluster when one is configured, else local when it is in use. With neither, the
 * name is no spark's: NOT_FOUND (not a complaint about a missing cluster).
 */
export async function locateSpark(name: string, config: Config): Promise<RuntimeKind> {
  for (const kind of RUNTIME_KINDS) if (await runtimeEntry(kind).holds?.(config, name)) return kind;
  const chosen = config.get('SPARK_RUNTIME') as RuntimeKind;
  if (runtimeEntry(chosen).isConfigured(config)) return chosen;
  const used = RUNTIME_KINDS.find((kind) => runtimeEntry(kind).usedHere(config));
  if (used) return used;
  const { notFoundError } = await import('./core/status.js');
  const known = RUNTIME_KINDS.flatMap((kind) => runtimeEntry(kind).knownNames?.(config) ?? []);
  const unasked = RUNTIME_KINDS.map((kind) => runtimeEntry(kind)).flatMap((entry) => (entry.isConfigured(config) ? [] : [entry.notAsked?.(config)])).filter(Boolean);
  throw notFoundError(name, known, unasked.join('\n') || undefined);
}

/** The backend holding the spark called `name` (a name no spark may have is a usage error first). */
export async function openBackendOf(name: string, config: Config): Promise<Backend> {
  validateName(name, reservedNames(config));
  return openBackend(await locateSpark(name, config), config);
}

/** Names no spark may have: besides PostgreSQL's own, the configured admin database and role. */
export function reservedNames(config: Config): string[] {
  return [config.get('POSTGRES_DB'), config.get('POSTGRES_USER')].filter((n): n is string => Boolean(n));
}
