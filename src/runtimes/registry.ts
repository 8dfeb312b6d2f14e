/**
 * Every runtime, one entry each: how to open it, whether it is configured here, its own checks of
 * configuration, how a spark of it is reached, and which optional capabilities it has (the Runtime
 * port's `capabilities`, asked by commands through core/capabilities.ts). Adding a runtime is adding
 * an entry; nothing outside this file asks `kind === ...`.
 *
 * Adapters are imported lazily inside each entry: `spark --version` and `--help` load neither the
 * Kubernetes client nor the PostgreSQL driver.
 */
import { describeSource, type Config, type ConfigValues } from '../config/index.js';
import type { Backend } from '../core/backend.js';
import type { CapabilityName, CheckResult, RuntimeKind } from '../core/ports.js';
import { SparkError } from '../errors.js';
import { describeKubeconfigSearch, hasClusterConfig } from './kubernetes/cluster-config.js';
import { tailnetHostname } from './kubernetes/labels.js';
import { hasLocalData, hasLocalSpark, hasLocalSparks, localSparkNames } from './local/presence.js';

/** How a user reaches a spark: the label of the line and the command. */
export interface ConnectHint {
  via: 'ssh' | 'shell';
  command: string;
}

export interface RuntimeEntry {
  /** The runtime with its database layer. */
  open(config: Config): Promise<Backend>;
  /** Can this runtime be used here at all? When not, `notConfigured` says why and what to do. */
  isConfigured(config: Config): boolean;
  notConfigured?(config: Config): SparkError;
  /** Said under "No spark named …" when this runtime was not asked because it is not configured. */
  notAsked?(config: Config): string;
  /** Does this runtime hold sparks here (list and doctor ask it)? Cheap; starts nothing. */
  inUse(config: Config): Promise<boolean>;
  /** Is the spark `name` certainly here (without asking a server)? Runtimes that cannot tell cheaply leave it out. */
  holds?(config: Config, name: string): Promise<boolean>;
  /** Has this runtime been used on this machine (a spark name not found anywhere else is looked up here)? */
  usedHere(config: Config): boolean;
  /** Configuration this runtime keeps for the CLI (below the config file in precedence), read while configuration loads. */
  configSource?(partial: ConfigValues): Promise<ConfigValues | undefined>;
  /** The names of its sparks known without a server, for "did you mean". */
  knownNames?(config: Config): string[];
  /** The runtime runs its own PostgreSQL server: its version, if it runs (never started for this). */
  ownServerVersion?(config: Config): Promise<string | undefined>;
  /** Checks of this runtime's own configuration, before any server is asked. */
  configChecks(config: Config): Promise<CheckResult[]>;
  /** How to reach the spark, given what the runtime reported of it. */
  connectHint(spark: { name: string; ssh?: string | null }): ConnectHint;
  /** Sparks get the user's SSH public key (read and checked before create). */
  needsSshKey: boolean;
  /** `--repo` may be a path on this machine. */
  clonesLocalPaths: boolean;
  /** The optional capabilities its Runtime offers (core/ports.ts RuntimeCapabilities). */
  capabilities: readonly CapabilityName[];
}

const clusterSettings = (config: Config) => ({ KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT') });

export const RUNTIMES = {
  kubernetes: {
    open: async (config) => (await import('./kubernetes/backend.js')).openKubernetesBackend(config),
    // A kubeconfig file or in-cluster credentials exist (checked without loading the Kubernetes client).
    isConfigured: (config) => hasClusterConfig(clusterSettings(config)),
    notConfigured: (config) =>
      new SparkError(`No Kubernetes cluster is configured: no kubeconfig was found (${describeKubeconfigSearch({ KUBECONFIG: config.get('KUBECONFIG') })}) and spark is not running inside a cluster.`, {
        hint: 'To try spark on this machine instead, run: spark create --runtime local   (or export SPARK_RUNTIME=local)\nTo use a cluster, set KUBECONFIG or pass --context.',
        code: 'NO_CLUSTER',
      }),
    // The spark-cli-config Secret in the spark namespace.
    configSource: async (partial) => (await import('./kubernetes/cli-config-secret.js')).readCliConfigSecret(partial),
    notAsked: (config) => `(No Kubernetes cluster was asked: no kubeconfig was found, ${describeKubeconfigSearch({ KUBECONFIG: config.get('KUBECONFIG') })}.)`,
    inUse: async (config) => hasClusterConfig(clusterSettings(config)),
    usedHere: (config) => hasClusterConfig(clusterSettings(config)),
    configChecks: async (config) => {
      const checks: CheckResult[] = [
        config.get('POSTGRES_PASSWORD')
          ? { id: 'config-password', title: 'POSTGRES_PASSWORD is set', status: 'ok', detail: `from ${describeSource(config.sources.POSTGRES_PASSWORD, config.file)}` }
          : { id: 'config-password', title: 'POSTGRES_PASSWORD is set', status: 'fail', blocking: true, fix: 'Set it: source deploy/load-env.sh, export POSTGRES_PASSWORD=..., or put it in the spark-cli-config Secret (spark admin setup-db writes it).' },
      ];
      const keyPath = config.get('SSH_PUBLIC_KEY_PATH')!;
      const { keyFix, readPublicKeys } = await import('../config/ssh-key.js');
      const keys = await readPublicKeys(keyPath);
      checks.push(
        keys && !('kind' in keys)
          ? { id: 'ssh-key', title: 'SSH public key is valid', status: 'ok', detail: `${keyPath} (${keys.types.join(', ')})` }
          : { id: 'ssh-key', title: 'SSH public key is valid', status: 'fail', blocking: true, detail: keys ? `${keyPath}: ${keys.reason}` : `${keyPath} not found`, fix: keyFix(keyPath, keys) },
      );
      const { CLI_VERSION, imageCheck } = await import('./kubernetes/image.js');
      checks.push(imageCheck(config.get('SPARK_IMAGE') ?? 'debian:bookworm', CLI_VERSION));
      return checks;
    },
    // Through Tailscale: the Service's tailnet name, as the runtime reports it (or as it will be).
    connectHint: (spark) => ({ via: 'ssh', command: spark.ssh ?? `ssh user@${tailnetHostname(spark.name)}` }),
    needsSshKey: true,
    clonesLocalPaths: false,
    capabilities: ['activity', 'logs', 'forward', 'sleep', 'expiry'],
  },
  local: {
    open: async (config) => (await import('./local/index.js')).openLocalBackend(config),
    isConfigured: () => true,
    inUse: async (config) => config.get('SPARK_RUNTIME') === 'local' || hasLocalSparks(config),
    holds: hasLocalSpark,
    usedHere: (config) => config.get('SPARK_RUNTIME') === 'local' || hasLocalData(config),
    knownNames: localSparkNames,
    configChecks: async () => [],
    ownServerVersion: async (config) => {
      const { embeddedStatus } = await import('./local/index.js');
      const status = await embeddedStatus(config.require('SPARK_DATA_DIR'));
      if (!status.running) throw new Error('the embedded server is not running (it starts on demand)');
      return status.version;
    },
    connectHint: (spark) => ({ via: 'shell', command: `spark shell ${spark.name}` }),
    needsSshKey: false,
    clonesLocalPaths: true,
    capabilities: [],
  },
} satisfies Record<RuntimeKind, RuntimeEntry>;

/** Every kind, in the order list, doctor and the name lookup ask them. */
export const RUNTIME_KINDS = Object.keys(RUNTIMES) as RuntimeKind[];

export function runtimeEntry(kind: RuntimeKind): RuntimeEntry {
  return RUNTIMES[kind];
}
