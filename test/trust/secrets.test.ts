/**
 * Issue 11, item 10: the redaction step also catches the base64 forms of secrets — a whole
 * DATABASE_URL, a secret alone (a Secret's `data`) or inside a longer encoded value, at any byte
 * alignment, in either base64 alphabet — and masks any base64 text that decodes to a URL with a
 * password, even one spark never knew. The built `spark`, the fake cluster (which lets a test put
 * such text where spark prints it: an API server's error message, an event), a real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { sparkEnv, testServers, unique, type TestServer } from '../support/postgres.js';
import { runSpark } from '../support/cli.js';
import { databaseUrl } from '../../src/database/settings.js';

const server: TestServer = testServers()[0]!;
let cluster: FakeCluster;
let env: Record<string, string>;
const API_KEY = 'sk-ant-fake.TRUST-B64.UNIQUE-KEY';
const TOKEN = 'gh-fake-token.TRUST-B64.UNIQUE';

before(async () => {
  cluster = await startFakeCluster();
  const home = mkdtempSync(join(tmpdir(), 'spark-trust-secrets-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: cluster.writeKubeconfig(join(home, 'kubeconfig')),
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    ANTHROPIC_API_KEY: API_KEY,
    GITHUB_TOKEN: TOKEN,
  };
});

after(async () => {
  await cluster.stop();
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const b64url = (text: string): string => Buffer.from(text).toString('base64url');

/**
 * An independent check (it does not mirror how redaction works): decode every base64-looking run
 * of the output at each of the four character offsets, in both alphabets, and look for any eight
 * consecutive characters of the secret.
 */
function assertNotEncoded(output: string, secret: string, label: string): void {
  const windows = Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
  for (const run of output.match(/[A-Za-z0-9+/_=-]{8,}/g) ?? []) {
    for (let offset = 0; offset < 4; offset++) {
      for (const alphabet of ['base64', 'base64url'] as const) {
        const decoded = Buffer.from(run.slice(offset), alphabet).toString('utf8');
        const hit = windows.find((w) => decoded.includes(w));
        assert.equal(hit, undefined, `${label}: "${hit}" of the secret can be decoded from ${run}`);
      }
    }
  }
  assert.ok(!output.includes(secret), `${label}: the secret is printed in clear`);
}

test('an API error that echoes the base64 of a whole DATABASE_URL and of every secret, at every alignment, prints none of them', async () => {
  const name = unique('b64');
  const url = databaseUrl({ user: server.sparkUser, password: server.sparkPassword, host: server.host, port: server.port, database: name, sslmode: 'disable' });
  // What a webhook or a verbose proxy might echo back: the Secret's data, whole values and values inside longer ones.
  const echoed = [
    `data.DATABASE_URL=${b64(url)}`,
    `env=${b64(`DATABASE_URL=${url}\n`)}`,
    ...[API_KEY, TOKEN, server.sparkPassword].flatMap((s) => [b64(s), b64(`x${s}`), b64(`xy${s}`), b64url(`xyz${s}!`)]),
  ].join(' ');
  const fault = cluster.controls.fail({ verb: 'patch', resource: 'secrets', times: 2, code: 422, reason: 'Invalid', message: `admission webhook "audit" denied the request: ${echoed}` });
  const text = await runSpark(['create', name, '--no-shell'], { env });
  const json = await runSpark(['create', name, '--no-shell', '--json'], { env });
  fault.cancel();
  for (const [label, result] of [['text', text], ['--json', json]] as const) {
    assert.equal(result.code, 1, result.stderr);
    const output = result.stdout + result.stderr;
    assert.match(output, /admission webhook/, `${label}: the API's message is shown\n${output}`);
    for (const secret of [server.sparkPassword, encodeURIComponent(server.sparkPassword), API_KEY, TOKEN, url]) assertNotEncoded(output, secret, `${label} output`);
  }
});

test('base64 text that decodes to a database URL with a password is masked even when spark never knew the password', async () => {
  const name = unique('evt');
  assert.equal((await runSpark(['create', name, '--no-shell'], { env })).code, 0);
  const foreign = 'postgresql://app:NeverSeen-Pass-4711@db.internal:5432/app?sslmode=require';
  cluster.seed([
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.b64`, namespace: 'spark' },
      involvedObject: { kind: 'Deployment', name, namespace: 'spark' },
      type: 'Warning',
      reason: 'ConfigDump',
      message: `sidecar printed its config: ${b64(foreign)} and ${b64url(`DSN=${foreign}`)}`,
      lastTimestamp: new Date().toISOString(),
    },
  ]);
  for (const args of [['status', name], ['status', name, '--json']]) {
    const result = await runSpark(args, { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /sidecar printed its config/);
    assertNotEncoded(result.stdout + result.stderr, 'NeverSeen-Pass-4711', args.join(' '));
  }
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
});
