/**
 * The composition root: which adapters make a Backend of each kind. Adapters are imported lazily,
 * so a command only pays for the client libraries it uses.
 */
import { describeSource, type Config } from './config/index.js';
import type { Backend } from './core/backend.js';
import type { CheckResult, RuntimeKind } from './core/ports.js';
import type { PasswordPorts } from './core/rotate.js';
import { SparkError } from './errors.js';
import { describeKubeconfigSearch, hasClusterConfig as hasKubeConfig } from './runtimes/kubernetes/cluster-config.js';

const openers = {
  kubernetes: async (config: Config): Promise<Backend> => {
    const { openKubernetesBackend } = await import('./runtimes/kubernetes/backend.js');
    return openKubernetesBackend(config);
  },
  local: async (config: Config): Promise<Backend> => {
    const { openLocalBackend } = await import('./runtimes/local/index.js');
    return openLocalBackend(config);
  },
} satisfies Record<RuntimeKind, (config: Config) => Promise<Backend>>;

export function openBackend(kind: RuntimeKind, config: Config): Promise<Backend> {
  return openers[kind](config);
}

/** A kubeconfig file or in-cluster credentials exist (checked without loading the Kubernetes client). */
export function hasClusterConfig(config: Config): boolean {
  return hasKubeConfig({ KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT') });
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
  if (kind === 'kubernetes' && !hasClusterConfig(config)) {
    const searched = describeKubeconfigSearch({ KUBECONFIG: config.get('KUBECONFIG') });
    throw new SparkError(`No Kubernetes cluster is configured: no kubeconfig was found (${searched}) and spark is not running inside a cluster.`, {
      hint: 'To try spark on this machine instead, run: spark create --runtime local   (or export SPARK_RUNTIME=local)\nTo use a cluster, set KUBECONFIG or pass --context.',
      code: 'NO_CLUSTER',
    });
  }
  return kind;
}

/** Backends that may hold sparks, for list and doctor: the cluster if configured, local if used. */
export async function knownBackendKinds(config: Config): Promise<RuntimeKind[]> {
  const kinds: RuntimeKind[] = [];
  if (hasClusterConfig(config)) kinds.push('kubernetes');
  const { hasLocalSparks } = await import('./runtimes/local/index.js');
  if (config.get('SPARK_RUNTIME') === 'local' || (await hasLocalSparks(config))) kinds.push('local');
  return kinds;
}

/** The checks of configuration itself, before any server is asked. */
export async function configChecks(config: Config, kind: RuntimeKind): Promise<CheckResult[]> {
  const checks: CheckResult[] = [{ id: 'config', title: 'Configuration is valid', status: 'ok', detail: `runtime ${kind}; config file ${config.file}` }];
  if (kind === 'kubernetes') {
    checks.push(
      config.get('POSTGRES_PASSWORD')
        ? { id: 'config-password', title: 'POSTGRES_PASSWORD is set', status: 'ok', detail: `from ${describeSource(config.sources.POSTGRES_PASSWORD, config.file)}` }
        : { id: 'config-password', title: 'POSTGRES_PASSWORD is set', status: 'fail', blocking: true, fix: 'Set it: source deploy/load-env.sh, export POSTGRES_PASSWORD=..., or put it in the spark-cli-config Secret (spark admin setup-db writes it).' },
    );
    const keyPath = config.get('SSH_PUBLIC_KEY_PATH')!;
    const { keyFix, readPublicKeys } = await import('./config/ssh-key.js');
    const keys = await readPublicKeys(keyPath);
    checks.push(
      keys && !('kind' in keys)
        ? { id: 'ssh-key', title: 'SSH public key is valid', status: 'ok', detail: `${keyPath} (${keys.types.join(', ')})` }
        : { id: 'ssh-key', title: 'SSH public key is valid', status: 'fail', blocking: true, detail: keys ? `${keyPath}: ${keys.reason}` : `${keyPath} not found`, fix: keyFix(keyPath, keys) },
    );
    const { CLI_VERSION, imageCheck } = await import('./runtimes/kubernetes/image.js');
    checks.push(imageCheck(config.get('SPARK_IMAGE') ?? 'debian:bookworm', CLI_VERSION));
  }
  checks.push(
    config.get('ANTHROPIC_API_KEY')
      ? { id: 'anthropic-key', title: 'ANTHROPIC_API_KEY is set', status: 'ok' }
      : { id: 'anthropic-key', title: 'ANTHROPIC_API_KEY is not set', status: 'warn', blocking: false, detail: 'Claude Code in sparks will ask you to log in', fix: 'export ANTHROPIC_API_KEY=sk-ant-... (or add it to the spark-cli-config Secret)' },
  );
  return checks;
}

/**
 * Which backend holds the spark called `name`: local if it has a workspace (or the remains of
 * one), else the cluster when one is configured, else local when it is in use. With neither, the
 * name is no spark's: NOT_FOUND (not a complaint about a missing cluster).
 */
export async function locateSpark(name: string, config: Config): Promise<RuntimeKind> {
  const { hasLocalSpark, hasLocalData, localSparkNames } = await import('./runtimes/local/index.js');
  if (await hasLocalSpark(config, name)) return 'local';
  if (config.get('SPARK_RUNTIME') !== 'local' && hasClusterConfig(config)) return 'kubernetes';
  if (config.get('SPARK_RUNTIME') === 'local' || hasLocalData(config)) return 'local';
  const { notFoundError } = await import('./core/status.js');
  const searched = describeKubeconfigSearch({ KUBECONFIG: config.get('KUBECONFIG') });
  throw notFoundError(name, localSparkNames(config), `(No Kubernetes cluster was asked: no kubeconfig was found, ${searched}.)`);
}

/** Names no spark may have: besides PostgreSQL's own, the configured admin database and role. */
export function reservedNames(config: Config): string[] {
  return [config.get('POSTGRES_DB'), config.get('POSTGRES_USER')].filter((n): n is string => Boolean(n));
}
