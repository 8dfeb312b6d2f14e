/**
 * Ctrl-C as a user presses it: the built `spark` on a real pseudo-terminal (tmux), where the spinner
 * holds stdin in raw mode and ^C arrives as a key, not as a signal sent by the test. The fake API
 * server is used for what a real control plane cannot do on demand: a pod that is never ready (so
 * create waits) and a DELETE that never answers (so the cleanup can be caught half-way).
 * PostgreSQL is real.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { runSpark } from '../support/cli.js';
import { type TestServer, databaseOn, sparkEnv, testServers, unique } from '../support/postgres.js';
import { sparkInTerminal } from '../support/terminal.js';
import { configMapName } from '../../src/runtimes/kubernetes/labels.js';

const server: TestServer = testServers()[0]!;
const KINDS = ['deployments', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets'];
let cluster: FakeCluster;
let env: Record<string, string>;

before(async () => {
  // Pods never become ready within a test: create waits until it is interrupted.
  cluster = await startFakeCluster({ readyDelayMs: 10 * 60_000 });
  const home = mkdtempSync(join(tmpdir(), 'spark-interrupt-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: cluster.writeKubeconfig(join(home, 'kubeconfig')),
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    ANTHROPIC_API_KEY: 'not-a-real-key',
  };
});

after(async () => {
  await cluster.stop();
});

function objectsOf(name: string): string[] {
  return KINDS.flatMap((kind) => cluster.list(kind, 'spark').filter((o) => o.metadata?.labels?.['spark-name'] === name).map((o) => `${kind}/${o.metadata?.name}`));
}

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

/** Poll the database server until `name` is gone (the cleanup drops it concurrently with the objects). */
async function databaseGone(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (await databaseExists(name)) {
    if (Date.now() > deadline) throw new Error(`database ${name} still exists`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `spark create NAME --no-shell` on a terminal, waiting for its pod, with everything made. */
async function createWaiting(name: string) {
  const terminal = await sparkInTerminal(['create', name, '--no-shell'], env);
  await terminal.waitFor(/Waiting for the spark/);
  assert.equal(objectsOf(name).length, 5, 'create has made the cluster objects');
  assert.equal(await databaseExists(name), true, 'create has made the database');
  return terminal;
}

test('Ctrl-C on a terminal while create waits: everything it made is removed, named, exit 130', async () => {
  const name = unique('ctrlc');
  const terminal = await createWaiting(name);
  try {
    await terminal.press('C-c');
    assert.equal(await terminal.exitCode(), 130, await terminal.screen());
    const screen = await terminal.screen();
    assert.match(screen, /Interrupted: removing what was made \(press Ctrl-C again to stop the cleanup\)/);
    assert.match(screen, new RegExp(`Interrupted; the spark was not created\\. Removed [^\\n]*Deployment ${name}[^\\n]*`));
    assert.match(screen, new RegExp(`Removed [^\\n]*database ${name}`));
    assert.match(screen, new RegExp(`Nothing of "${name}" was left behind`));
    assert.doesNotMatch(screen, /error:|Unexpected|\n\s+at /);
    assert.deepEqual(objectsOf(name), []);
    assert.equal(await databaseExists(name), false);
  } finally {
    await terminal.close();
  }
});

test('a second Ctrl-C stops the cleanup at once and names what is left, which spark delete then removes', async () => {
  const name = unique('ctrlc2');
  // The DELETE of the root object (the ConfigMap, owner of the rest) never answers: the cleanup cannot finish.
  const stuck = cluster.controls.fail({ verb: 'delete', resource: 'configmaps', name: configMapName(name), action: 'hang', times: 1 });
  const terminal = await createWaiting(name);
  try {
    await terminal.press('C-c');
    await cluster.waitFor(() => stuck.hits === 1, { description: 'the DELETE of the ConfigMap' });
    await databaseGone(name);
    await terminal.press('C-c');
    assert.equal(await terminal.exitCode(), 130, await terminal.screen());
    const screen = await terminal.screen();
    // The server may have dropped it before the client heard back: then it is honestly named as stopped.
    assert.match(screen, new RegExp(`Removed [^\\n]*database ${name}|database ${name} \\(the cleanup was stopped\\)`));
    assert.match(screen, new RegExp(`Could not remove: the kubernetes objects of ${name} \\(the cleanup was stopped\\)`));
    assert.match(screen, new RegExp(`fix: Finish the cleanup with: spark delete ${name}`));
    assert.doesNotMatch(screen, /Unexpected|\n\s+at /);
    assert.ok(objectsOf(name).includes(`configmaps/${configMapName(name)}`), 'what is said to be left is left');
  } finally {
    await terminal.close();
  }
  const rest = await runSpark(['delete', name, '--yes'], { env });
  assert.equal(rest.code, 0, rest.stderr);
  assert.deepEqual(objectsOf(name), []);
  assert.equal(await databaseExists(name), false);
});

test('Ctrl-C at the y/N prompt of delete aborts quietly: no stack trace, exit 130, nothing deleted', async () => {
  const name = unique('prompt');
  cluster.controls.setReadyDelay(0);
  try {
    const created = await runSpark(['create', name, '--no-shell'], { env });
    assert.equal(created.code, 0, created.stderr);
  } finally {
    cluster.controls.setReadyDelay(10 * 60_000);
  }
  const terminal = await sparkInTerminal(['delete', name], env);
  try {
    await terminal.waitFor(new RegExp(`Delete ${name} .*\\(y/N\\)`));
    await terminal.press('C-c');
    assert.equal(await terminal.exitCode(), 130, await terminal.screen());
    const screen = await terminal.screen();
    assert.match(screen, /^Interrupted\.$/m);
    assert.doesNotMatch(screen, /error:|Unexpected|ExitPromptError|\n\s+at /);
  } finally {
    await terminal.close();
  }
  assert.equal(objectsOf(name).length, 5, 'nothing was deleted');
  assert.equal(await databaseExists(name), true);
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
  assert.deepEqual(objectsOf(name), []);
});

test('the process exits in one place: no process.exit() in src outside src/cli/main.ts', () => {
  const src = new URL('../../src/', import.meta.url);
  const exits = (readdirSync(src, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && file !== join('cli', 'main.ts'))
    .filter((file) => /process\.exit\(/.test(readFileSync(new URL(file, src), 'utf8')));
  assert.deepEqual(exits, []);
});
