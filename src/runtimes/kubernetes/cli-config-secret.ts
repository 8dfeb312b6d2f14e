/**
 * The `spark-cli-config` Secret in the spark namespace as a configuration source (PRODUCT.md:
 * flags > environment > config file > this Secret > defaults), read directly so that
 * `source load-env.sh` is optional; and the writes `spark admin` makes to it and to sparks' Secrets.
 *
 * This module is itself loaded lazily; it loads the Kubernetes client only once a kubeconfig is
 * known to exist, so `spark config` on a machine without a cluster stays instant.
 */
import { CONFIG_KEYS, SECRET_KEYS, type ConfigKey, type ConfigValues } from '../../config/index.js';
import type { CliConfigStore, SparkCredential, SparkCredentials } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import type { k8s, KubeClient, ListOf } from './client.js';
import { hasClusterConfig, type ClusterSettings } from './cluster-config.js';
import { ALL_SPARKS_SELECTOR, CLI_CONFIG_SECRET, deploymentName, secretName, sparkNameOf } from './labels.js';

/** Reading the Secret must never make a command wait: an unreachable cluster costs at most this. */
export const CLI_CONFIG_READ_TIMEOUT_MS = 2_500;

/** Settings that choose the cluster cannot come from a Secret inside that cluster. */
const NOT_FROM_SECRET = new Set<ConfigKey>(['KUBECONFIG', 'SPARK_CONTEXT', 'SPARK_NAMESPACE']);

/** The annotation `kubectl rollout restart` uses on the pod template, spark's own variant. */
export const RESTARTED_AT_ANNOTATION = 'spark.dev/restartedAt';

function settingsOf(values: ConfigValues): ClusterSettings {
  return { KUBECONFIG: values.KUBECONFIG, SPARK_CONTEXT: values.SPARK_CONTEXT, SPARK_NAMESPACE: values.SPARK_NAMESPACE || 'spark' };
}

async function connect(settings: ClusterSettings, timeoutMs?: number): Promise<KubeClient> {
  const { openKubeClient } = await import('./client.js');
  return openKubeClient(settings, { timeoutMs });
}

/** Decode a Secret's data: only known configuration keys, as text. */
export function decodeCliConfig(data: Record<string, string> | undefined): ConfigValues {
  const values: ConfigValues = {};
  for (const [key, encoded] of Object.entries(data ?? {})) {
    if (!(CONFIG_KEYS as string[]).includes(key) || NOT_FROM_SECRET.has(key as ConfigKey)) continue;
    const value = Buffer.from(encoded, 'base64').toString('utf8').replace(/\r?\n$/, '');
    if (value === '') continue;
    values[key as ConfigKey] = value;
  }
  return values;
}

/**
 * The known configuration keys of the `spark-cli-config` Secret, or undefined when there is no
 * kubeconfig, the cluster is unreachable or slow, or the Secret is missing or unreadable: configuration
 * never fails because of this source. Values that are secrets are registered for redaction.
 */
export async function readCliConfigSecret(partial: ConfigValues, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ConfigValues | undefined> {
  const timeoutMs = options.timeoutMs ?? CLI_CONFIG_READ_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  // The request has its own deadline; this one also bounds credential plugins (exec auth) that hang.
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs + 500);
    timer.unref();
  });
  try {
    return await Promise.race([readSecret(partial, timeoutMs, options.env ?? process.env), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function readSecret(partial: ConfigValues, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<ConfigValues | undefined> {
  const settings = settingsOf(partial);
  try {
    // Decided before the heavy client is loaded: no kubeconfig, no cost.
    if (!hasClusterConfig(settings, env)) return undefined;
    const { openKubeClient } = await import('./client.js');
    const client = openKubeClient(settings, { env, timeoutMs });
    const secret = await client.find<k8s.V1Secret>({ verb: 'get', resource: 'secrets', name: CLI_CONFIG_SECRET }, client.path(undefined, 'secrets', CLI_CONFIG_SECRET));
    if (!secret) return undefined;
    const values = decodeCliConfig(secret.data);
    // Secrets are masked from the moment they are known (loadConfig registers them again).
    for (const key of SECRET_KEYS) registerSecret(values[key]);
    return values;
  } catch {
    return undefined;
  }
}

/**
 * Write these keys into the `spark-cli-config` Secret (a merge patch: other keys are kept), creating
 * the Secret when it does not exist. Used by `spark admin setup-db` and `rotate-password`.
 */
export async function writeCliConfigSecretValues(cluster: ClusterSettings, values: ConfigValues): Promise<void> {
  const client = await connect(settingsOf(cluster));
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  if (Object.keys(data).length === 0) return;
  const namespace = client.namespace;
  const patch = () =>
    client.sendFound({ verb: 'patch', resource: 'secrets', name: CLI_CONFIG_SECRET }, 'PATCH', client.path(undefined, 'secrets', CLI_CONFIG_SECRET), { data }, { contentType: 'application/merge-patch+json' });
  if (await patch()) return;
  try {
    await client.send({ verb: 'create', resource: 'secrets', name: CLI_CONFIG_SECRET }, 'POST', client.path(undefined, 'secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: CLI_CONFIG_SECRET, namespace },
      type: 'Opaque',
      data,
    });
  } catch (error) {
    // Made by someone else in between: patch that one.
    if (error instanceof SparkError && error.code === 'KUBE_ALREADY_EXISTS' && (await patch())) return;
    throw error;
  }
}

/** The spark-cli-config Secret as the CliConfigStore port. */
export function cliConfigStore(cluster: ClusterSettings): CliConfigStore {
  const settings = settingsOf(cluster);
  return {
    where: `Secret ${CLI_CONFIG_SECRET} in namespace ${settings.SPARK_NAMESPACE}`,
    write: (values) => writeCliConfigSecretValues(settings, values),
  };
}

/**
 * The sparks' DATABASE_URLs in their Secrets (the SparkCredentials port). One LIST finds them all;
 * Go-CLI sparks' Secrets are found by their `app=spark` label as well.
 */
export class SparkSecrets implements SparkCredentials {
  constructor(private readonly client: KubeClient) {}

  async list(): Promise<SparkCredential[]> {
    const c = this.client;
    const secrets = await c.get<ListOf<k8s.V1Secret>>({ verb: 'list', resource: 'secrets' }, c.path(undefined, 'secrets'), { labelSelector: ALL_SPARKS_SELECTOR });
    const found: SparkCredential[] = [];
    for (const secret of secrets.items) {
      const name = sparkNameOf(secret.metadata?.labels);
      const encoded = secret.data?.DATABASE_URL;
      if (!name || secret.metadata?.name !== secretName(name) || !encoded) continue;
      const databaseUrl = Buffer.from(encoded, 'base64').toString('utf8');
      try {
        registerSecret(decodeURIComponent(new URL(databaseUrl).password));
      } catch {
        registerSecret(databaseUrl);
      }
      found.push({ name, databaseUrl });
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Patch the Secret's DATABASE_URL, then restart the pod (like `kubectl rollout restart`) so the new environment takes effect. */
  async rewrite(name: string, databaseUrl: string): Promise<void> {
    const c = this.client;
    const body = { data: { DATABASE_URL: Buffer.from(databaseUrl, 'utf8').toString('base64') } };
    await c.send({ verb: 'patch', resource: 'secrets', name: secretName(name) }, 'PATCH', c.path(undefined, 'secrets', secretName(name)), body, { contentType: 'application/merge-patch+json' });
    await restartSpark(c, name);
  }
}

/** The sparks' Secrets of this cluster's namespace. */
export async function openSparkSecrets(cluster: ClusterSettings): Promise<SparkSecrets> {
  return new SparkSecrets(await connect(settingsOf(cluster)));
}

/** `kubectl rollout restart`: a new pod template annotation makes the Deployment replace its pod. */
export async function restartSpark(client: KubeClient, name: string, now: Date = new Date()): Promise<void> {
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now.toISOString() } } } } };
  await client.sendFound({ verb: 'patch', resource: 'deployments', group: 'apps', name: deploymentName(name) }, 'PATCH', client.path('apps', 'deployments', deploymentName(name)), body, {
    contentType: 'application/merge-patch+json',
  });
}

