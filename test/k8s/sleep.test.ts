/**
 * Sleep and wake on the real control plane, as a user runs them: the built `spark` as a
 * subprocess, kubectl on what it changed. A sleeper keeps every object and its database; waking
 * waits until kwok's node runs the pod Ready again. Connecting wakes a sleeper: `spark shell` (with
 * a stand-in ssh), and plain `ssh spark-NAME` through `spark ssh-config` and `spark proxy`, with the
 * real ssh client against a real sshd standing in for the spark's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openKubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { containerLogsFor, criLogLine, kubectl, kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { goSparkObjects } from '../support/fake-kube/fixtures.js';
import { SPARK_BIN, makeUserHome, runSpark } from '../support/cli.js';
import { type TestServer, databaseOn, sparkEnv, testServers, unique } from '../support/postgres.js';
import { startSshd, type Sshd } from '../support/sshd.js';

const server: TestServer = testServers()[0]!;
const KINDS = 'deployments,services,persistentvolumeclaims,configmaps,secrets';
let cluster: ClusterInfo;
let home: string;
let env: Record<string, string>;
const made: string[] = [];

before(() => {
  cluster = testCluster();
  let fakeSsh: string;
  ({ home, fakeSsh } = makeUserHome('spark-k8s-sleep-'));
  env = { ...sparkEnv(server), HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: cluster.kubeconfig, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'), SPARK_SSH: fakeSsh };
});

after(async () => {
  if (made.length) await runSpark(['delete', ...made, '--yes', '--ignore-not-found'], { env, timeoutMs: 120_000 });
});

async function create(prefix: string): Promise<string> {
  const name = unique(prefix);
  made.push(name);
  const created = await runSpark(['create', name, '--no-shell'], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  return name;
}

const deployment = async (name: string): Promise<{ spec: { replicas: number }; status: { readyReplicas?: number }; metadata: { annotations?: Record<string, string> } }> =>
  JSON.parse(await kubectlOk(cluster, ['get', 'deployment', name, '-n', 'spark', '-o', 'json']));
const objectsOf = async (name: string): Promise<string[]> => (await kubectlOk(cluster, ['get', KINDS, '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'name'])).trim().split('\n').filter(Boolean).sort();
const podsGone = (name: string) => kubectlOk(cluster, ['wait', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '--for=delete', '--timeout=60s']);
const readyPods = async (name: string): Promise<number> =>
  (JSON.parse(await kubectlOk(cluster, ['get', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'json'])) as { items: Array<{ metadata: { deletionTimestamp?: string }; status: { conditions?: Array<{ type: string; status: string }> } }> }).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

interface Row {
  name: string;
  state: string;
  sleepingSince: string | null;
}

test('sleep keeps everything but the pod; list and status say Sleeping and since when; sleep and wake are idempotent; wake waits until Ready', async () => {
  const name = await create('nap');
  const objects = await objectsOf(name);
  // The spark reports unsaved work just before it is put to sleep: the report is kept for reap.
  const pod = (await kubectlOk(cluster, ['get', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  const log = join(home, `${name}.log`);
  writeFileSync(log, criLogLine(`spark-activity {"v":1,"reportedAt":"${new Date().toISOString()}","openSessions":0,"lastSessionAt":"${new Date(Date.now() - 60_000).toISOString()}","unsavedWork":true,"unsavedDetail":"1 unpushed commit"}`));
  await containerLogsFor(cluster, pod, log);

  const before = Date.now();
  const slept = await runSpark(['sleep', name], { env });
  assert.equal(slept.code, 0, slept.stderr);
  assert.equal(slept.stdout, `${name}: put to sleep\n`);
  const asleep = await deployment(name);
  assert.equal(asleep.spec.replicas, 0);
  const since = asleep.metadata.annotations?.['spark.dev/sleeping-since'] ?? '';
  assert.ok(Date.parse(since) >= before - 1000 && Date.parse(since) <= Date.now(), since);
  const stored = JSON.parse(asleep.metadata.annotations?.['spark.dev/last-activity'] ?? '{}') as { unsavedWork?: boolean; unsavedDetail?: string };
  assert.equal(stored.unsavedWork, true);
  assert.equal(stored.unsavedDetail, '1 unpushed commit');
  await podsGone(name);
  assert.deepEqual(await objectsOf(name), objects, 'every object is kept');
  assert.equal(await databaseExists(name), true, 'the database is kept');
  // Asleep, the spark cannot report: its activity is the stored report.
  const runtime = openKubernetesRuntime({ get: (k) => ({ KUBECONFIG: cluster.kubeconfig, SPARK_NAMESPACE: 'spark' })[k] });
  assert.equal((await runtime.capabilities.activity!.activity(name))?.unsavedDetail, '1 unpushed commit');

  const listed = JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: Row[] };
  const row = listed.sparks.find((s) => s.name === name);
  assert.equal(row?.state, 'Sleeping');
  assert.equal(row?.sleepingSince, new Date(since).toISOString());
  const table = await runSpark(['list'], { env });
  assert.match(table.stdout, new RegExp(`^${name}\\s+Sleeping \\d+[smh]\\s`, 'm'));
  const status = JSON.parse((await runSpark(['status', name, '--json'], { env })).stdout) as Row & { objects: Array<{ exists: boolean }> };
  assert.equal(status.state, 'Sleeping');
  assert.equal(status.sleepingSince, row?.sleepingSince);
  assert.ok(status.objects.every((o) => o.exists));
  const yaml = await runSpark(['status', name, '-o', 'yaml'], { env });
  assert.match(yaml.stdout, /^state: Sleeping$/m);
  assert.match(yaml.stdout, /^sleepingSince: /m);
  assert.match((await runSpark(['status', name], { env })).stdout, /Sleeping since \d+[smh] ago/);

  const again = await runSpark(['sleep', name, '--json'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { sparks: [{ name, state: 'Sleeping', changed: false }] });
  assert.equal((await deployment(name)).metadata.annotations?.['spark.dev/sleeping-since'], since, 'a second sleep changes nothing');

  const woken = await runSpark(['wake', name], { env, timeoutMs: 120_000 });
  assert.equal(woken.code, 0, woken.stderr);
  assert.equal(woken.stdout, `${name}: woken (Running)\n`);
  assert.match(woken.stderr, /Waking|Waiting for the spark/);
  assert.equal(await readyPods(name), 1, 'wake returned with the pod Ready');
  const awake = await deployment(name);
  assert.equal(awake.spec.replicas, 1);
  assert.equal(awake.metadata.annotations?.['spark.dev/sleeping-since'], undefined);
  assert.equal(awake.metadata.annotations?.['spark.dev/last-activity'], undefined);
  // A wake is a use: reap counts idle time from here at the latest.
  const wokenAt = Date.parse(awake.metadata.annotations?.['spark.dev/woken-at'] ?? '');
  assert.ok(wokenAt > Date.parse(since) && wokenAt <= Date.now(), 'the wake time is kept on the Deployment');
  const state = (JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: Row[] }).sparks.find((s) => s.name === name);
  assert.deepEqual([state?.state, state?.sleepingSince], ['Running', null]);

  const awakeAgain = await runSpark(['wake', name, '--json'], { env });
  assert.equal(awakeAgain.code, 0, awakeAgain.stderr);
  assert.deepEqual(JSON.parse(awakeAgain.stdout), { sparks: [{ name, state: 'Running', changed: false }] });
});

test('wake --no-wait returns once it is scaled up; a name that exists nowhere is reported and exits 1, the others done', async () => {
  const name = await create('doze');
  const mixed = await runSpark(['sleep', name, 'no-such-spark'], { env });
  assert.equal(mixed.code, 1, mixed.stderr);
  assert.match(mixed.stderr, /error: No spark named "no-such-spark"/);
  const asleep = await deployment(name);
  assert.equal(asleep.spec.replicas, 0, 'the existing one was put to sleep');
  // It reported nothing before it slept: no stored report, so its activity stays unknown.
  assert.equal(asleep.metadata.annotations?.['spark.dev/last-activity'], undefined);
  await podsGone(name);
  const runtime = openKubernetesRuntime({ get: (k) => ({ KUBECONFIG: cluster.kubeconfig, SPARK_NAMESPACE: 'spark' })[k] });
  assert.equal(await runtime.capabilities.activity!.activity(name), undefined);

  const woken = await runSpark(['wake', name, '--no-wait', '--json'], { env });
  assert.equal(woken.code, 0, woken.stderr);
  assert.deepEqual(JSON.parse(woken.stdout), { sparks: [{ name, state: 'Starting', changed: true }] });
  assert.equal((await deployment(name)).spec.replicas, 1);
  await kubectlOk(cluster, ['wait', 'deployment', name, '-n', 'spark', '--for=condition=Available', '--timeout=60s']);

  for (const verb of ['sleep', 'wake']) {
    const missing = await runSpark([verb, 'no-such-spark', '--json'], { env });
    assert.equal(missing.code, 1);
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string; message: string } }).error.message, 'No spark named "no-such-spark".');
  }
});

test('spark shell wakes a sleeper first (progress on stderr); --no-wake refuses with the fix; forward wakes it too', async () => {
  const name = await create('nod');
  assert.equal((await runSpark(['sleep', name], { env })).code, 0);
  await podsGone(name);

  const refused = await runSpark(['shell', name, '--no-wake', '--', 'true'], { env });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`error: Spark "${name}" is asleep`));
  assert.match(refused.stderr, new RegExp(`fix: Wake it with: spark wake ${name}`));
  assert.equal((await deployment(name)).spec.replicas, 0, '--no-wake woke nothing');

  writeFileSync(join(home, 'ssh-argv'), '');
  const shell = await runSpark(['shell', name, '--', 'make', 'test'], { env, timeoutMs: 120_000 });
  assert.equal(shell.code, 0, shell.stderr);
  assert.match(shell.stderr, new RegExp(`${name} is awake`));
  assert.equal(shell.stdout, '', 'progress only on stderr');
  assert.equal(await readyPods(name), 1, 'ssh ran once the spark was Ready');
  assert.match(readFileSync(join(home, 'ssh-argv'), 'utf8'), new RegExp(`user@spark-${name}\\nmake\\ntest\\n$`));

  // forward: the stand-in ssh ends at once (so forward reports that), but only after the spark woke.
  assert.equal((await runSpark(['sleep', name], { env })).code, 0);
  await podsGone(name);
  const forward = await runSpark(['forward', name, `${20000 + Math.floor(Math.random() * 20000)}:3000`], { env, timeoutMs: 120_000 });
  assert.equal(forward.code, 1, 'the stand-in ssh ended the forwarding');
  assert.match(forward.stderr, new RegExp(`${name} is awake[^]*The forwarding to ${name} ended`));
  assert.equal(await readyPods(name), 1);
});

test('a Go-CLI spark (labels only) sleeps and wakes too', async () => {
  const name = unique('gonap');
  made.push(name);
  const list = { apiVersion: 'v1', kind: 'List', items: goSparkObjects(name) };
  const applied = await kubectl(cluster, ['apply', '-n', 'spark', '-f', '-'], { input: JSON.stringify(list) });
  assert.equal(applied.code, 0, applied.stderr);
  await kubectlOk(cluster, ['wait', 'deployment', name, '-n', 'spark', '--for=condition=Available', '--timeout=60s']);
  const slept = await runSpark(['sleep', name], { env });
  assert.equal(slept.code, 0, slept.stderr);
  const row = (JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: Array<Row & { legacy: boolean }> }).sparks.find((s) => s.name === name);
  assert.equal(row?.state, 'Sleeping');
  assert.equal(row?.legacy, true);
  const woken = await runSpark(['wake', name], { env, timeoutMs: 120_000 });
  assert.equal(woken.code, 0, woken.stderr);
  assert.equal(await readyPods(name), 1);
});

/** Run a program with binary stdin, collecting binary stdout. */
function runBinary(program: string, args: string[], input: Buffer, runEnv: NodeJS.ProcessEnv): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: runEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

test('plain ssh spark-NAME through spark ssh-config --write and spark proxy: wakes the sleeper, then relays bytes exactly', async () => {
  const sshd: Sshd = await startSshd();
  try {
    const name = await create('ssh');
    // The Tailscale operator writes the Service's address here; 127.0.0.1 is where the stand-in sshd listens.
    await kubectlOk(cluster, ['patch', 'service', `${name}-ssh`, '-n', 'spark', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}']);
    assert.equal((await runSpark(['sleep', name], { env })).code, 0);
    await podsGone(name);

    const written = await runSpark(['ssh-config', '--write'], { env });
    assert.equal(written.code, 0, written.stderr);
    const sshEnv = { ...env, PATH: process.env.PATH };
    // The user's config as written; the rest only points ssh at the stand-in's key, port and user.
    const ssh = (command: string, input = Buffer.alloc(0)) =>
      runBinary('ssh', ['-F', join(home, '.ssh', 'config'), '-i', sshd.key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${sshd.knownHosts}`, '-p', String(sshd.port), '-l', sshd.user, `spark-${name}`, command], input, sshEnv);

    const hello = await ssh('echo hello from $(hostname)');
    assert.equal(hello.code, 0, hello.stderr);
    assert.match(hello.stdout.toString(), /^hello from /);
    assert.match(hello.stderr, new RegExp(`${name} is awake`), 'the proxy said on stderr that it woke the spark');
    assert.equal(await readyPods(name), 1, 'the spark was woken');
    assert.equal((await deployment(name)).spec.replicas, 1);

    // 1 MB of random bytes there and back: the relay must not touch a byte.
    const payload = randomBytes(1024 * 1024);
    const echoed = await ssh('cat', payload);
    assert.equal(echoed.code, 0, echoed.stderr);
    assert.equal(echoed.stdout.length, payload.length);
    assert.ok(echoed.stdout.equals(payload), 'the bytes came back unchanged');

    // scp (SFTP) through the same config, to a file the stand-in writes.
    const source = join(home, 'payload.bin');
    const target = join(mkdtempSync(join(tmpdir(), 'spark-scp-')), 'copy.bin');
    writeFileSync(source, payload);
    const scp = await runBinary('scp', ['-F', join(home, '.ssh', 'config'), '-i', sshd.key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${sshd.knownHosts}`, '-P', String(sshd.port), '-o', `User=${sshd.user}`, source, `spark-${name}:${target}`], Buffer.alloc(0), sshEnv);
    assert.equal(scp.code, 0, scp.stderr);
    assert.ok(readFileSync(target).equals(payload), 'scp copied the bytes unchanged');
  } finally {
    await sshd.stop();
  }
});

test('Ctrl-C while wake waits ends it with exit 130 and says the spark goes on starting', async () => {
  const name = unique('restless');
  made.push(name);
  // A spark whose pod runs but never turns Ready: create gives up waiting and keeps it.
  const created = await runSpark(['create', name, '--no-shell', '--timeout', '3s'], { env: { ...env, SPARK_IMAGE: 'ghcr.io/me/spark:never-ready' }, timeoutMs: 120_000 });
  assert.equal(created.code, 1, created.stderr);
  assert.match(created.stderr, /is not ready after 3s/);
  assert.equal((await runSpark(['sleep', name], { env })).code, 0);
  await podsGone(name);
  const child = spawn(process.execPath, [SPARK_BIN, 'wake', name], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waiting = new Promise<void>((resolve) =>
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Waiting for the spark')) resolve();
    }),
  );
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  await waiting;
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, new RegExp(`Stopped waiting for ${name}; it goes on starting\\.`));
  assert.doesNotMatch(stderr, /error:/);
  assert.equal((await deployment(name)).spec.replicas, 1, 'the spark stays awake');
});
