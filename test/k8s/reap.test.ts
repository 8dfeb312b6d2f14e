/**
 * Expiry and the reaper on the real control plane. deploy/reaper.yaml is applied as a user would
 * (only its namespace changed), and `spark reap` runs as a subprocess with the token of the reaper's
 * own ServiceAccount — no kubeconfig of an admin, no PostgreSQL settings in its environment: it reads
 * them from the spark-cli-config Secret itself, as the CronJob does. Four sparks: one expired with
 * nothing unsaved, one idle, one in use, one expired with unpushed commits. What each reports comes
 * from its container log (kwok serves the file this test writes, through the real pods/log).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { capture } from '../support/capture.js';
import { runSpark, SPARK_BIN } from '../support/cli.js';
import { containerLogsFor, criLogLine, kubeconfigYaml, kubectlOk, testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { REPO, type TestServer, databaseOn, sparkEnv, testServers, unique } from '../support/postgres.js';

const NS = 'spark-reap';
const HOUR = 3_600_000;

let cluster: ClusterInfo;
let server: TestServer;
let home: string;
/** The admin's view, as a user on a laptop: creates the sparks. */
let adminEnv: Record<string, string>;
/** The reaper's: its ServiceAccount token, the namespace, nothing else. */
let reaperEnv: Record<string, string>;
let token: string;
const names = { expired: unique('exp'), idle: unique('idle'), active: unique('act'), dirty: unique('dirty') };

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

const deployment = async (name: string): Promise<{ replicas: number; annotations: Record<string, string> } | undefined> => {
  const out = await kubectlOk(cluster, ['get', 'deployments', '-n', NS, '-l', `spark-name=${name}`, '-o', 'json']);
  const item = (JSON.parse(out) as { items: Array<{ spec: { replicas: number }; metadata: { annotations?: Record<string, string> } }> }).items[0];
  return item && { replicas: item.spec.replicas, annotations: item.metadata.annotations ?? {} };
};

/** The spark's container log: its activity report as the init script writes it. */
async function reports(name: string, report: Record<string, unknown>): Promise<void> {
  const pod = (await kubectlOk(cluster, ['get', 'pods', '-n', NS, '-l', `spark-name=${name}`, '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  assert.ok(pod, `a pod of ${name}`);
  const file = join(home, `${name}.log`);
  writeFileSync(file, criLogLine('spark-init: starting spark') + criLogLine(`spark-activity ${JSON.stringify({ v: 1, reportedAt: new Date().toISOString(), ...report })}`));
  await containerLogsFor(cluster, pod, file, NS);
}

interface ReapJson {
  dryRun: boolean;
  actions: Array<{ name: string; action: string; reason: string; done: boolean; error: string | null }>;
}

async function reap(args: string[] = [], extraEnv: Record<string, string> = {}): Promise<ReapJson & { code: number; stderr: string }> {
  const r = await runSpark(['reap', '--json', ...args], { env: { ...reaperEnv, ...extraEnv }, timeoutMs: 120_000 });
  assert.ok(!`${r.stdout}${r.stderr}`.includes(token), 'the token never appears');
  assert.ok(!`${r.stdout}${r.stderr}`.includes(server.sparkPassword), 'the password never appears');
  let doc: ReapJson;
  try {
    doc = JSON.parse(r.stdout) as ReapJson;
  } catch {
    throw new Error(`reap --json printed no JSON document (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { ...doc, code: r.code, stderr: r.stderr };
}

const actionOf = (doc: ReapJson, name: string) => {
  const action = doc.actions.find((a) => a.name === name);
  assert.ok(action, `${name} is in the plan: ${JSON.stringify(doc.actions)}`);
  return action;
};

before(async () => {
  cluster = testCluster();
  server = testServers()[0]!;
  home = mkdtempSync(join(tmpdir(), 'spark-k8s-reap-'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');

  // The namespace, and the reaper exactly as shipped but for its namespace: one kubectl apply.
  await kubectlOk(cluster, ['create', 'namespace', NS]);
  const manifest = readFileSync(join(REPO, 'deploy/reaper.yaml'), 'utf8').replaceAll('namespace: spark\n', `namespace: ${NS}\n`);
  assert.doesNotMatch(manifest, /namespace: spark$/m);
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: manifest });
  await kubectlOk(cluster, ['wait', 'serviceaccount/default', '-n', NS, '--for=create', '--timeout=60s']);
  token = (await kubectlOk(cluster, ['create', 'token', 'spark-reaper', '-n', NS, '--duration=2h'])).trim();

  // The PostgreSQL settings live in spark-cli-config, where the reaper finds them.
  const pg = sparkEnv(server);
  await kubectlOk(cluster, ['create', 'secret', 'generic', 'spark-cli-config', '-n', NS, ...Object.entries(pg).map(([k, v]) => `--from-literal=${k}=${v}`)]);

  const base = { HOME: home, SPARK_CONFIG: join(home, 'config.json'), SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'), SPARK_NAMESPACE: NS };
  adminEnv = { ...base, ...pg, KUBECONFIG: cluster.kubeconfig };
  const reaperKubeconfig = join(home, 'reaper.kubeconfig');
  writeFileSync(reaperKubeconfig, kubeconfigYaml(cluster, 'spark-reaper', token, NS), { mode: 0o600 });
  reaperEnv = { ...base, KUBECONFIG: reaperKubeconfig };

  // One after another: four creates at once on this 2-core machine met a scheduler that judged a
  // home volume unbound after it was bound (readiness took that Unschedulable for final).
  for (const name of Object.values(names)) {
    const created = await runSpark(['create', name, '--no-shell', ...(name === names.active ? [] : ['--ttl', '1h'])], { env: adminEnv, timeoutMs: 120_000 });
    assert.equal(created.code, 0, `${name}: ${created.stderr}`);
  }
  // An hour passes for the two that are to expire (the annotation the TTL wrote, moved into the past).
  const past = new Date(Date.now() - 10 * 60_000).toISOString();
  for (const name of [names.expired, names.dirty]) await kubectlOk(cluster, ['annotate', 'deployment', name, '-n', NS, `spark.dev/expires-at=${past}`, '--overwrite']);
  const threeHoursAgo = new Date(Date.now() - 3 * HOUR).toISOString();
  await reports(names.expired, { openSessions: 0, lastSessionAt: threeHoursAgo, unsavedWork: false, unsavedDetail: 'clean' });
  await reports(names.idle, { openSessions: 0, lastSessionAt: threeHoursAgo, unsavedWork: false });
  await reports(names.active, { openSessions: 1, lastSessionAt: new Date().toISOString(), unsavedWork: true, unsavedDetail: '1 uncommitted file' });
  await reports(names.dirty, { openSessions: 0, lastSessionAt: new Date(Date.now() - 5 * 60_000).toISOString(), unsavedWork: true, unsavedDetail: '2 commits on no remote' });
});

test('reaper.yaml applies: a CronJob every 10 minutes that never overlaps, whose Job is admitted with its own ServiceAccount', async () => {
  const cron = JSON.parse(await kubectlOk(cluster, ['get', 'cronjob', 'spark-reaper', '-n', NS, '-o', 'json'])) as { spec: { schedule: string; concurrencyPolicy: string } };
  assert.equal(cron.spec.schedule, '*/10 * * * *');
  assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
  await kubectlOk(cluster, ['create', 'job', 'reap-now', '--from=cronjob/spark-reaper', '-n', NS]);
  await kubectlOk(cluster, ['wait', 'pods', '-n', NS, '-l', 'job-name=reap-now', '--for=create', '--timeout=60s']);
  const pod = JSON.parse(await kubectlOk(cluster, ['get', 'pods', '-n', NS, '-l', 'job-name=reap-now', '-o', 'json'])) as { items: Array<{ spec: { serviceAccountName: string; containers: Array<{ command: string[] }> } }> };
  assert.equal(pod.items[0]?.spec.serviceAccountName, 'spark-reaper');
  assert.deepEqual(pod.items[0]?.spec.containers[0]?.command.slice(-2), ['spark', 'reap']);
  await kubectlOk(cluster, ['delete', 'job', 'reap-now', '-n', NS, '--wait=false']);
});

test('create --ttl writes the expiry; list and status show it; extend pushes it back; bad input is refused', async () => {
  const listed = await runSpark(['list', '--json'], { env: adminEnv });
  assert.equal(listed.code, 0, listed.stderr);
  const rows = (JSON.parse(listed.stdout) as { sparks: Array<{ name: string; expiresAt: string | null }> }).sparks;
  assert.equal(rows.find((s) => s.name === names.active)?.expiresAt, null);
  const idleExpiry = rows.find((s) => s.name === names.idle)?.expiresAt;
  assert.ok(idleExpiry && Math.abs(Date.parse(idleExpiry) - (Date.now() + HOUR)) < 10 * 60_000, `about an hour from now: ${idleExpiry}`);
  assert.equal((await deployment(names.idle))?.annotations['spark.dev/expires-at'], idleExpiry);
  const table = await runSpark(['list'], { env: adminEnv });
  assert.match(table.stdout, /EXPIRES/);
  assert.match(table.stdout, new RegExp(`${names.dirty}\\s.*expired 1\\dm ago`));
  assert.match(table.stdout, new RegExp(`${names.idle}\\s.*in (59m|1h)`));

  // Extend: from the current expiry, not from now.
  const extended = await runSpark(['extend', names.idle, '2h', '--json'], { env: adminEnv });
  assert.equal(extended.code, 0, extended.stderr);
  const ext = JSON.parse(extended.stdout) as { name: string; previous: string; expiresAt: string };
  assert.equal(ext.previous, idleExpiry);
  assert.equal(Date.parse(ext.expiresAt) - Date.parse(idleExpiry), 2 * HOUR);
  const status = await runSpark(['status', names.idle], { env: adminEnv });
  assert.match(status.stdout, new RegExp(`expires   in 2h.*${ext.expiresAt.replace(/\./g, '\\.')}`));
  for (const [args, code, message] of [
    [['extend', 'no-such-spark', '1h'], 1, /No spark named "no-such-spark"/],
    [['extend', names.idle, '0'], 2, /Invalid duration for extend "0": a duration must be longer than zero/],
    [['extend', names.idle, '-3h'], 2, /cannot be negative/],
    [['create', 'never-made', '--ttl', '0s', '--no-shell'], 2, /Invalid --ttl "0s"/],
  ] as const) {
    const r = await runSpark([...args], { env: adminEnv });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('spark reap with the reaper ServiceAccount: --dry-run changes nothing; then expired+clean is deleted with its database, idle slept, active and unpushed work kept; --force deletes the unpushed one', async () => {
  const planned = await reap(['--dry-run']);
  assert.equal(planned.code, 0, planned.stderr);
  assert.equal(planned.dryRun, true);
  assert.deepEqual(
    Object.values(names).map((n) => [n, actionOf(planned, n).action, actionOf(planned, n).done]),
    [[names.expired, 'delete', false], [names.idle, 'sleep', false], [names.active, 'keep', false], [names.dirty, 'keep', false]],
  );
  assert.equal((await deployment(names.expired))?.replicas, 1, 'the dry run deleted nothing');
  assert.equal((await deployment(names.idle))?.replicas, 1, 'the dry run slept nothing');

  // PostgreSQL cannot be asked (the environment beats the Secret: a port nobody listens on): the
  // expired spark is not deleted at all, the failure is in its entry, and reap exits 1.
  const noDatabase = await reap([], { POSTGRES_PORT: '9', SPARK_IDLE_TIMEOUT: '0' });
  assert.equal(noDatabase.code, 1);
  const failed = actionOf(noDatabase, names.expired);
  assert.deepEqual([failed.action, failed.done], ['delete', false]);
  assert.match(failed.error ?? '', /^Nothing was deleted/);
  assert.equal((await deployment(names.expired))?.replicas, 1, 'its objects are all there');
  assert.equal(await databaseExists(names.expired), true);
  assert.equal(actionOf(noDatabase, names.idle).action, 'keep', 'SPARK_IDLE_TIMEOUT=0: nothing sleeps');

  const done = await reap();
  assert.equal(done.code, 0, done.stderr);
  const expired = actionOf(done, names.expired);
  assert.deepEqual([expired.action, expired.done, expired.error], ['delete', true, null]);
  assert.match(expired.reason, /^expired 1\dm ago; no unsaved work and no open session/);
  assert.equal(await deployment(names.expired), undefined, 'its objects are gone');
  assert.equal(await databaseExists(names.expired), false, 'its database is gone');

  const idle = actionOf(done, names.idle);
  assert.deepEqual([idle.action, idle.done], ['sleep', true]);
  assert.match(idle.reason, /idle: last session 3h ago/);
  const slept = await deployment(names.idle);
  assert.equal(slept?.replicas, 0);
  assert.ok(slept?.annotations['spark.dev/sleeping-since'], 'asleep since now');
  assert.equal(await databaseExists(names.idle), true);

  const active = actionOf(done, names.active);
  assert.deepEqual([active.action, active.done], ['keep', true]);
  assert.match(active.reason, /in use: 1 SSH session open/);
  assert.equal((await deployment(names.active))?.replicas, 1);

  const dirty = actionOf(done, names.dirty);
  assert.equal(dirty.action, 'keep');
  assert.match(dirty.reason, /expired 1\dm ago, but its project has unsaved work \(2 commits on no remote\)/);
  assert.equal((await deployment(names.dirty))?.replicas, 1);
  assert.equal(await databaseExists(names.dirty), true);

  // The human rendering says the same, one line a spark.
  const human = await runSpark(['reap', '--dry-run'], { env: reaperEnv, timeoutMs: 120_000 });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^would keep ${names.dirty}: expired .* unsaved work`, 'm'));
  assert.match(human.stdout, new RegExp(`^would keep ${names.idle}: asleep since`, 'm'));

  const forced = await reap(['--force']);
  assert.equal(forced.code, 0, forced.stderr);
  const gone = actionOf(forced, names.dirty);
  assert.deepEqual([gone.action, gone.done], ['delete', true]);
  assert.match(gone.reason, /--force although its project has unsaved work/);
  assert.equal(await deployment(names.dirty), undefined);
  assert.equal(await databaseExists(names.dirty), false);
  // --force is about expired sparks only: the others are as they were.
  assert.equal(actionOf(forced, names.active).action, 'keep');
  assert.equal(actionOf(forced, names.idle).action, 'keep');
  assert.equal((await deployment(names.active))?.replicas, 1);
});

test('an expired sleeper is judged by the report kept when it went to sleep: clean, so it is deleted', async () => {
  const slept = await deployment(names.idle);
  assert.equal(slept?.replicas, 0);
  assert.match(slept?.annotations['spark.dev/last-activity'] ?? '', /"unsavedWork":false/, 'reap kept its last report on it');
  await kubectlOk(cluster, ['annotate', 'deployment', names.idle, '-n', NS, `spark.dev/expires-at=${new Date(Date.now() - 60_000).toISOString()}`, '--overwrite']);
  const done = await reap();
  assert.equal(done.code, 0, done.stderr);
  const idle = actionOf(done, names.idle);
  assert.deepEqual([idle.action, idle.done], ['delete', true], idle.reason);
  assert.equal(await deployment(names.idle), undefined);
  assert.equal(await databaseExists(names.idle), false);
});

test("in a pod, as the CronJob runs it: the reaper's token, the cluster CA, no kubeconfig; settings from spark-cli-config", async () => {
  // The ServiceAccount files live at fixed paths under /var/run: a mount namespace of its own (root and unshare).
  assert.equal(process.getuid?.(), 0, 'this test needs root, for a private mount namespace (unshare --mount)');
  const sa = join(home, 'serviceaccount');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'ca.crt'), cluster.caCert);
  writeFileSync(join(sa, 'namespace'), NS);
  const script = 'mount -t tmpfs tmpfs /var/run && mkdir -p /var/run/secrets/kubernetes.io/serviceaccount && cp "$SA_DIR"/* /var/run/secrets/kubernetes.io/serviceaccount/ && exec "$@"';
  const inPod = (args: string[]) =>
    capture('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, SPARK_BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: home, SPARK_CONFIG: join(home, 'config.json'), SA_DIR: sa, SPARK_NAMESPACE: NS, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.port) },
      timeoutMs: 60_000,
    });
  const config = await inPod(['config', '--json']);
  assert.equal(config.code, 0, config.stderr);
  const settings = (JSON.parse(config.stdout) as { settings: Array<{ key: string; source: string }> }).settings;
  for (const key of ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_PASSWORD']) assert.equal(settings.find((s) => s.key === key)?.source, 'cluster-secret', key);
  const planned = await inPod(['reap', '--dry-run', '--json']);
  assert.equal(planned.code, 0, planned.stderr);
  const doc = JSON.parse(planned.stdout) as ReapJson;
  assert.equal(actionOf(doc, names.active).action, 'keep');
  for (const run of [config, planned]) assert.ok(!`${run.stdout}${run.stderr}`.includes(token), 'the token never appears');
});

test('spark doctor reports what reap would do, as warnings', async () => {
  await kubectlOk(cluster, ['annotate', 'deployment', names.active, '-n', NS, `spark.dev/expires-at=${new Date(Date.now() - 60_000).toISOString()}`, '--overwrite']);
  const r = await runSpark(['doctor', '--json'], { env: adminEnv, timeoutMs: 120_000 });
  const doc = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; title: string; detail?: string; fix?: string }> };
  const check = doc.checks.find((c) => c.id === `reap-${names.active}`);
  assert.ok(check, JSON.stringify(doc.checks.map((c) => c.id)));
  assert.equal(check.status, 'warn');
  assert.match(check.title, /is expired, but spark reap keeps it/);
  assert.match(check.detail ?? '', /unsaved work \(1 uncommitted file\)/);
  assert.match(check.fix ?? '', new RegExp(`spark extend ${names.active} 1d`));
  await runSpark(['delete', names.active, '--yes'], { env: adminEnv, timeoutMs: 120_000 });
});
