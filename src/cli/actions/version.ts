import type { Config } from '../../config/index.js';
import type { RuntimeKind } from '../../core/ports.js';
import type { Context } from '../context.js';

declare const SPARK_VERSION: string;

/** Each server gets this long to answer (loading the client libraries does not count): `spark version` reports, it never waits on an outage. */
const SERVER_DEADLINE_MS = 2_000;

interface Versions {
  clientVersion: { spark: string; node: string; platform: string };
  serverVersion: { kubernetes: string | null; postgres: string | null };
  unavailable: Array<{ part: 'kubernetes' | 'postgres'; reason: string }>;
}

/** `spark version`, as kubectl has it: the client, then each server that answers in time. */
export async function versionCommand(ctx: Context, options: { client: boolean }): Promise<void> {
  const versions: Versions = {
    clientVersion: { spark: typeof SPARK_VERSION === 'string' ? SPARK_VERSION : '0.0.0-dev', node: process.version, platform: `${process.platform}/${process.arch}` },
    serverVersion: { kubernetes: null, postgres: null },
    unavailable: [],
  };
  if (!options.client) {
    const probe = async (part: 'kubernetes' | 'postgres', ask: () => Promise<string | undefined>): Promise<void> => {
      try {
        const version = await ask();
        if (version) versions.serverVersion[part] = version;
      } catch (error) {
        versions.unavailable.push({ part, reason: (error as Error).message });
      }
    };
    const config = ctx.config();
    await Promise.all([
      probe('kubernetes', async () => kubernetesVersion(await config)),
      probe('postgres', async () => postgresVersion(await config)),
    ]);
  }
  const { clientVersion: c, serverVersion: s } = versions;
  ctx.ui.result(versions, () => [
    `Client Version: ${c.spark}`,
    `Node.js Version: ${c.node} (${c.platform})`,
    ...(options.client ? [] : [
      `Kubernetes Server Version: ${s.kubernetes ?? unavailableText(versions, 'kubernetes')}`,
      `PostgreSQL Server Version: ${s.postgres ?? unavailableText(versions, 'postgres')}`,
    ]),
  ].join('\n'));
}

function unavailableText(versions: Versions, part: 'kubernetes' | 'postgres'): string {
  const reason = versions.unavailable.find((u) => u.part === part)?.reason;
  return reason ? `unavailable (${reason.split('\n')[0]})` : 'not configured';
}

function withDeadline<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SERVER_DEADLINE_MS / 1000} s`)), SERVER_DEADLINE_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function kubernetesVersion(config: Config): Promise<string | undefined> {
  const { hasClusterConfig } = await import('../../backends.js');
  if (!hasClusterConfig(config)) return undefined;
  const { openKubeClient } = await import('../../runtimes/kubernetes/client.js');
  const client = openKubeClient({ KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT'), SPARK_NAMESPACE: config.get('SPARK_NAMESPACE') }, { timeoutMs: SERVER_DEADLINE_MS });
  const info = await withDeadline(client.get<{ gitVersion?: string }>({ verb: 'get', resource: 'version', clusterScoped: true }, '/version'));
  return info.gitVersion;
}

/** The configured server; for the local runtime the embedded one, only if it runs (never started for this). */
async function postgresVersion(config: Config): Promise<string | undefined> {
  const { runtimeEntry } = await import('../../runtimes/registry.js');
  const own = runtimeEntry(config.get('SPARK_RUNTIME') as RuntimeKind).ownServerVersion;
  if (own) return own(config);
  if (!config.get('POSTGRES_PASSWORD')) throw new Error('POSTGRES_PASSWORD is not set');
  const { connect, settingsFromConfig } = await import('../../database/index.js');
  const client = await withDeadline(connect({ ...settingsFromConfig(config), connectTimeoutMs: SERVER_DEADLINE_MS }));
  try {
    const result = await withDeadline(client.query<{ server_version: string }>('show server_version'));
    return result.rows[0]?.server_version;
  } finally {
    void client.end().catch(() => {});
  }
}
