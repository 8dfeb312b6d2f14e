/**
 * Shared by the rotation and repair tests: a cluster seen only through its kubeconfig (read with the
 * real kubectl), a real PostgreSQL, and the built `spark`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeCluster } from '../support/fake-kube/index.js';
import { kubectl, kubectlEnv } from '../support/fake-kube/testing.js';
import { connectUrl } from '../support/postgres.js';
import { secretName, tailnetHostname } from '../../src/runtimes/kubernetes/labels.js';

export interface TestCluster {
  kubeconfig: string;
  home: string;
  /** The environment every spark run gets (no PostgreSQL settings). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Today the fake API server; any API server reached through a kubeconfig would do. */
export async function startCluster(prefix: string): Promise<TestCluster> {
  const fake = await startFakeCluster();
  const home = mkdtempSync(join(tmpdir(), `${tailnetHostname(prefix)}-`));
  const kubeconfig = fake.writeKubeconfig(join(home, 'kubeconfig'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  const env = { HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: kubeconfig, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub') };
  return { kubeconfig, home, env, stop: () => fake.stop() };
}

async function get(cluster: TestCluster, args: string[]): Promise<string> {
  const result = await kubectl(['-n', 'spark', 'get', ...args], kubectlEnv(cluster.kubeconfig));
  if (result.code !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export async function databaseUrlOf(cluster: TestCluster, spark: string): Promise<string> {
  return Buffer.from(await get(cluster, ['secret', secretName(spark), '-o', 'jsonpath={.data.DATABASE_URL}']), 'base64').toString('utf8');
}

/** The `spark-cli-config` Secret's POSTGRES_PASSWORD, or undefined when the Secret or key is missing. */
export async function storedPassword(cluster: TestCluster): Promise<string | undefined> {
  const result = await kubectl(['-n', 'spark', 'get', 'secret', 'spark-cli-config', '-o', 'jsonpath={.data.POSTGRES_PASSWORD}'], kubectlEnv(cluster.kubeconfig));
  return result.code === 0 && result.stdout ? Buffer.from(result.stdout, 'base64').toString('utf8') : undefined;
}

export async function writeStoredPassword(cluster: TestCluster, password: string): Promise<void> {
  const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'spark-cli-config', namespace: 'spark' }, stringData: { POSTGRES_PASSWORD: password } });
  const result = await kubectl(['apply', '-f', '-'], kubectlEnv(cluster.kubeconfig), { input: manifest });
  if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr}`);
}

/** Point a spark's DATABASE_URL somewhere else, as a hand edit or an older rotation would. */
export async function setDatabaseUrl(cluster: TestCluster, spark: string, url: string): Promise<void> {
  const patch = JSON.stringify({ data: { DATABASE_URL: Buffer.from(url).toString('base64') } });
  const result = await kubectl(['-n', 'spark', 'patch', 'secret', secretName(spark), '--type=merge', '-p', patch], kubectlEnv(cluster.kubeconfig));
  if (result.code !== 0) throw new Error(`kubectl patch: ${result.stderr}`);
}

/** The pod template annotation a restart (`kubectl rollout restart`'s way) sets; '' when never restarted. */
export async function restartedAt(cluster: TestCluster, spark: string): Promise<string> {
  return (await get(cluster, ['deployment', spark, '-o', 'jsonpath={.spec.template.metadata.annotations.spark\\.dev/restartedAt}'])).trim();
}

/** Does the URL log in, the way the spark's own program would? */
export async function logsIn(url: string): Promise<boolean> {
  try {
    await (await connectUrl(url)).end();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  }
}

export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
