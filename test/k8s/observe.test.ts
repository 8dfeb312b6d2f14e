/**
 * logs, events, forward and the activity reader on the real control plane. kwok's node serves the
 * container log from a file this test writes (the lines a spark would log), so `spark logs` and the
 * activity reader go through the real API server's pods/log.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openKubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { containerLogsFor, criLogLine, kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { spawn } from 'node:child_process';
import { runSpark, SPARK_BIN } from '../support/cli.js';
import { sparkEnv, testServers, unique } from '../support/postgres.js';

let cluster: ClusterInfo;
let env: Record<string, string>;
let name: string;
let logFile: string;

before(async () => {
  cluster = testCluster();
  const home = mkdtempSync(join(tmpdir(), 'spark-k8s-observe-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  env = { ...sparkEnv(testServers()[0]!), HOME: home, SPARK_CONFIG: join(home, 'config.json'), KUBECONFIG: cluster.kubeconfig, SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub') };
  name = unique('observe');
  const created = await runSpark(['create', name, '--no-shell'], { env });
  assert.equal(created.code, 0, created.stderr);
  const pod = (await kubectlOk(cluster, ['get', 'pods', '-n', 'spark', '-l', `spark-name=${name}`, '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  logFile = join(home, 'container.log');
  const old = new Date(Date.now() - 3_600_000);
  writeFileSync(
    logFile,
    criLogLine('spark-init: starting spark', old) +
      criLogLine(`spark-activity {"v":1,"reportedAt":"${old.toISOString()}","openSessions":0,"lastSessionAt":null,"unsavedWork":false,"unsavedDetail":"no project directory"}`, old) +
      criLogLine('spark-step: repo done in 2s') +
      criLogLine(`spark-activity {"v":1,"reportedAt":"${new Date().toISOString()}","openSessions":1,"lastSessionAt":"${new Date().toISOString()}","unsavedWork":true,"unsavedDetail":"2 uncommitted files"}`),
  );
  await containerLogsFor(cluster, pod, logFile);
});

after(async () => {
  if (name) await runSpark(['delete', name, '--yes'], { env });
});

test('spark logs shows the container log through pods/log; --since leaves out older lines; --json is one document', async () => {
  const all = await runSpark(['logs', name], { env });
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^spark-init: starting spark\n/);
  assert.match(all.stdout, /spark-step: repo done in 2s\n/);
  const recent = await runSpark(['logs', name, '--since', '10m'], { env });
  assert.equal(recent.code, 0, recent.stderr);
  assert.doesNotMatch(recent.stdout, /starting spark/);
  assert.match(recent.stdout, /repo done/);
  const json = await runSpark(['logs', name, '--json'], { env });
  const doc = JSON.parse(json.stdout) as { name: string; lines: string[] };
  assert.equal(doc.name, name);
  assert.equal(doc.lines[2], 'spark-step: repo done in 2s');
});

test('the activity reader returns the newest report of the spark', async () => {
  appendFileSync(logFile, criLogLine('Accepted publickey for user from 10.0.0.9'));
  const runtime = openKubernetesRuntime({ get: (k) => ({ KUBECONFIG: cluster.kubeconfig, SPARK_NAMESPACE: 'spark' })[k] });
  const report = await runtime.capabilities.activity!.activity(name);
  assert.equal(report?.openSessions, 1);
  assert.equal(report?.unsavedWork, true);
  assert.equal(report?.unsavedDetail, '2 uncommitted files');
});

test('spark events lists what the cluster said about the spark (the scheduler placed its pod)', async () => {
  const r = await runSpark(['events', name, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { events: Array<{ reason: string }> };
  assert.ok(doc.events.some((e) => e.reason === 'Scheduled'), r.stdout);
});

test('spark forward of a local port in use says so and exits 1; names that exist nowhere say No spark named', async () => {
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await runSpark(['forward', name, `${port}:3000`], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`error: Local port ${port} is already in use`));
    assert.match(r.stderr, /fix: Choose a free local port/);
  } finally {
    busy.close();
  }
  for (const args of [['logs', 'no-such-spark'], ['events', 'no-such-spark'], ['forward', 'no-such-spark', '3000']]) {
    const r = await runSpark(args, { env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /No spark named "no-such-spark"/);
  }
});

test('spark logs -f prints lines as the spark writes them; Ctrl-C ends it with exit 130 and no error', async () => {
  const child = spawn(process.execPath, [SPARK_BIN, 'logs', name, '-f', '--since', '1m'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const seen = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not shown within 30 s: ${text}; stdout: ${stdout}; stderr: ${stderr}`)), 30_000);
      const check = (): void => {
        if (stdout.includes(text)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (c: Buffer): void => {
        stdout += c.toString();
        check();
      };
      child.stdout.on('data', onData);
      check();
    });
  await seen('repo done');
  appendFileSync(logFile, criLogLine('spark-step: dotfiles done in 1s'));
  await seen('spark-step: dotfiles done in 1s');
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.doesNotMatch(stderr, /error:/);
  assert.match(stderr, /Stopped following the log/);
});
