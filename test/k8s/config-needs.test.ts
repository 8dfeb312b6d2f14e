/**
 * What `spark list` and `spark status` ask the real control plane, seen by a recording pass-through
 * in front of it (every request forwarded unchanged to the run's API server): the spark-cli-config
 * Secret only when a connection setting is not given locally, and then once; otherwise one LIST per
 * kind and nothing else. `spark config`, which shows every setting, still reads the Secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { kubeconfigYaml, kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { runSpark } from '../support/cli.js';
import { sparkEnv, testServers } from '../support/postgres.js';

const NS = 'spark-config-needs';
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets/spark-cli-config`;
const server = testServers()[0]!;
const connection = sparkEnv(server);

let cluster: ClusterInfo;
let proxy: http.Server;
let home: string;
/** "METHOD path" of every request that reached the API server through the proxy. */
const seen: string[] = [];

before(async () => {
  cluster = testCluster();
  await kubectlOk(cluster, ['create', 'namespace', NS]);
  // The password and a token live in the Secret; the file-less environment below gives the rest.
  await kubectlOk(cluster, ['create', 'secret', 'generic', 'spark-cli-config', '-n', NS, `--from-literal=POSTGRES_PASSWORD=${connection.POSTGRES_PASSWORD}`, '--from-literal=GITHUB_TOKEN=ghp_onlyInTheSecret0123456789']);
  const upstream = new URL(cluster.server);
  proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const forward = https.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, ca: cluster.caCert }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  home = mkdtempSync(join(tmpdir(), 'spark-config-needs-'));
  const address = proxy.address() as AddressInfo;
  writeFileSync(join(home, 'kubeconfig'), kubeconfigYaml({ server: `http://127.0.0.1:${address.port}`, caCert: cluster.caCert }, 'admin', cluster.adminToken, NS), { mode: 0o600 });
});

after(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  if (home) rmSync(home, { recursive: true, force: true });
  await kubectlOk(cluster, ['delete', 'namespace', NS, '--wait=false']).catch(() => {});
});

/** Run spark with these settings in the environment; the requests it made. */
async function spark(args: string[], settings: Record<string, string>) {
  seen.length = 0;
  const result = await runSpark(args, { env: { HOME: home, SPARK_CONFIG: join(home, 'absent.json'), KUBECONFIG: join(home, 'kubeconfig'), SPARK_NAMESPACE: NS, ...settings }, timeoutMs: 8_000 });
  return { result, requests: [...seen] };
}

const secretReads = (requests: string[]): number => requests.filter((r) => r === `GET ${SECRET_PATH}`).length;
const withoutQuery = (requests: string[]): string[] => requests.map((r) => r.replace(/\?.*$/, '')).sort();

test('list with every connection setting given: no Secret read, one LIST per kind and nothing else', async () => {
  const { result, requests } = await spark(['list', '--json'], connection);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { sparks: [], unavailable: [] });
  assert.equal(secretReads(requests), 0, requests.join('\n'));
  assert.deepEqual(withoutQuery(requests), [
    `GET /api/v1/namespaces/${NS}/configmaps`,
    `GET /api/v1/namespaces/${NS}/persistentvolumeclaims`,
    `GET /api/v1/namespaces/${NS}/services`,
    `GET /apis/apps/v1/namespaces/${NS}/deployments`,
  ]);
});

test('list with the password only in the Secret: read once, and the database is reached with it', async () => {
  const { POSTGRES_PASSWORD: _, ...withoutPassword } = connection;
  const { result, requests } = await spark(['list', '--json'], withoutPassword);
  assert.equal(result.code, 0, result.stderr);
  // Without the Secret's password the database part would be "unavailable: POSTGRES_PASSWORD is not set".
  assert.deepEqual(JSON.parse(result.stdout), { sparks: [], unavailable: [] });
  assert.equal(secretReads(requests), 1, requests.join('\n'));
});

test('status reads the Secret only when a connection setting is missing too', async () => {
  const given = await spark(['status', 'no-such-spark', '--json'], connection);
  assert.equal(given.result.code, 1, given.result.stderr);
  assert.match(given.result.stdout, /No spark named \\"no-such-spark\\"/);
  assert.equal(secretReads(given.requests), 0, given.requests.join('\n'));
  const { POSTGRES_PASSWORD: _, ...withoutPassword } = connection;
  const missing = await spark(['status', 'no-such-spark', '--json'], withoutPassword);
  assert.equal(missing.result.code, 1, missing.result.stderr);
  assert.equal(secretReads(missing.requests), 1, missing.requests.join('\n'));
});

test('config, which shows every setting, still reads the Secret: the token only there is found (and masked)', async () => {
  const { result, requests } = await spark(['config', '--json'], connection);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(secretReads(requests), 1);
  const token = (JSON.parse(result.stdout) as { settings: Array<{ key: string; source: string; value: string | null }> }).settings.find((s) => s.key === 'GITHUB_TOKEN');
  assert.equal(token?.source, 'cluster-secret');
  assert.ok(!result.stdout.includes('ghp_onlyInTheSecret0123456789'), 'the token is masked');
});

test('list whose cluster cannot be opened gives up the PostgreSQL login it started early, even one still waiting for an answer', async () => {
  // A server that takes the connection and never answers: the login would wait for its 10 s deadline.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = String((silent.address() as AddressInfo).port);
    const { result, requests } = await spark(['list', '--json', '--context', 'no-such-context'], { ...connection, POSTGRES_PORT: port });
    assert.equal(result.code, 0, result.stderr);
    const listing = JSON.parse(result.stdout) as { sparks: unknown[]; unavailable: Array<{ part: string; reason: string }> };
    assert.deepEqual(listing.unavailable.map((u) => u.part), ['runtime']);
    assert.match(listing.unavailable[0]!.reason, /no-such-context/);
    assert.equal(requests.length, 0, 'the cluster was not asked');
    // Exited before the login's 10 s deadline (runSpark's limit is 8 s): the login was given up, not
    // waited for, whether its socket had reached this server yet or not (with the code cache the
    // cluster's failure often comes first).
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
