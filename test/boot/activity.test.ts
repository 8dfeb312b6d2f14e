/**
 * The init script's activity reporter inside a really booted spark (spark image, real sshd, real
 * `ssh` logins): its `spark-activity` lines in the container log, parsed by the same function the
 * CLI reads them with, say when a session is open, when the last one ended, and whether
 * /home/user/project holds uncommitted or unpushed git work. The reporter's intervals are made
 * short through its environment (on a cluster: 15 s, git every 60 s).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SparkActivity } from '../../src/core/ports.js';
import { parseActivityLine } from '../../src/runtimes/kubernetes/activity.js';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { bootSpark, makeKeyPair, type BootedSpark } from '../support/boot/boot.js';
import { SparkNetwork } from '../support/boot/network.js';
import { ensureRootfs } from '../support/boot/rootfs.js';
import { ssh, sshArgs, waitForLogin, type SshTarget } from '../support/boot/ssh.js';

let work: string;
let home: string;
let network: SparkNetwork;
let spark: BootedSpark;
let target: SshTarget;
let publicKey: string;

const boot = (): BootedSpark =>
  bootSpark({
    variant: 'spark-image',
    manifests: sparkManifests({ name: 'busy-otter', databaseName: 'busy_otter', databaseUrl: 'postgresql://s:x@db.invalid:5432/busy_otter', isolation: 'shared', createdAt: 'now', creator: 't', sshPublicKey: publicKey }, DEFAULT_MANIFEST_OPTIONS),
    network,
    home,
    env: { SPARK_ACTIVITY_INTERVAL: '1', SPARK_ACTIVITY_GIT_INTERVAL: '1' },
  });

/** The reports the spark has logged after `offset` characters of its log. */
const reportsAfter = (offset: number): SparkActivity[] =>
  spark.output
    .slice(offset)
    .split('\n')
    .map((line) => parseActivityLine(line))
    .filter((r): r is SparkActivity => r !== undefined);

/** Waits (bounded) for a report after `offset` that satisfies `wanted`. */
async function reportWhere(offset: number, wanted: (r: SparkActivity) => boolean, what: string): Promise<SparkActivity> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = reportsAfter(offset).find(wanted);
    if (found) return found;
    if (Date.now() > deadline || !spark.running) assert.fail(`no activity report ${what} within 30 s; the spark's log:\n${spark.output}`);
    await spark.waitForLog(/spark-activity /, 1_000).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const run = async (command: string): Promise<string> => {
  const r = await ssh(target, command);
  assert.equal(r.code, 0, `ssh ${command} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

before(async () => {
  ensureRootfs('spark-image');
  work = mkdtempSync(join(tmpdir(), 'spark-boot-activity-'));
  home = join(work, 'home');
  mkdirSync(home);
  network = SparkNetwork.create();
  const keys = makeKeyPair(work);
  publicKey = keys.publicKey;
  target = { address: network.sparkAddress, privateKey: keys.privateKey, knownHosts: join(work, 'known_hosts') };
  spark = boot();
  await waitForLogin(spark, target, 60_000);
});

after(async () => {
  await spark?.stop();
  await network?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the reporter writes well-formed reports: no project yet, so no unsaved work', async () => {
  const first = await reportWhere(0, () => true, 'at all');
  assert.equal(first.unsavedWork, false);
  assert.equal(first.unsavedDetail, 'no project directory');
  assert.ok(Math.abs(Date.parse(first.reportedAt) - Date.now()) < 60_000, `reportedAt ${first.reportedAt} is now`);
});

test('an open SSH session is counted while it lasts; when it ends, the last session time is when it ended', async () => {
  const offset = spark.output.length;
  const opened = Date.now();
  const session = spawn('ssh', [...sshArgs(target), '--', 'sleep 120'], { stdio: 'ignore' });
  try {
    const during = await reportWhere(offset, (r) => r.openSessions === 1, 'with one open session');
    assert.ok(during.lastSessionAt && Date.parse(during.lastSessionAt) >= opened - 2_000, `lastSessionAt ${during.lastSessionAt} is during the session`);
  } finally {
    session.kill('SIGTERM');
  }
  await new Promise((resolve) => session.once('exit', resolve));
  const ended = Date.now();
  const afterwards = await reportWhere(offset, (r) => r.openSessions === 0 && Date.parse(r.reportedAt) >= ended - 1_000, 'after the session ended');
  assert.ok(afterwards.lastSessionAt, 'the last session time is reported');
  assert.ok(Math.abs(Date.parse(afterwards.lastSessionAt) - ended) < 5_000, `lastSessionAt ${afterwards.lastSessionAt} is when the session ended`);
});

test('uncommitted files and unpushed commits in ~/project are unsaved work; once committed and pushed they are not', async () => {
  let offset = spark.output.length;
  await run('mkdir -p ~/project && cd ~/project && git init -q && git -c user.email=u@spark -c user.name=u commit -q --allow-empty -m start && echo draft > notes.txt');
  const dirty = await reportWhere(offset, (r) => r.unsavedWork === true, 'with unsaved work');
  assert.equal(dirty.unsavedDetail, '1 uncommitted files, 1 unpushed commits');

  offset = spark.output.length;
  await run('git init -q --bare ~/remote.git && cd ~/project && git remote add origin ~/remote.git && git add -A && git -c user.email=u@spark -c user.name=u commit -q -m notes && git push -q origin HEAD 2>&1');
  const clean = await reportWhere(offset, (r) => r.unsavedWork === false, 'without unsaved work');
  assert.equal(clean.unsavedDetail, 'committed and pushed');

  offset = spark.output.length;
  await run('cd ~/project && echo more >> notes.txt && git stash -q && git -c user.email=u@spark -c user.name=u commit -q --allow-empty -m local');
  const stashed = await reportWhere(offset, (r) => r.unsavedWork === true, 'with a stash and a local commit');
  assert.equal(stashed.unsavedDetail, '1 unpushed commits, 1 stashes');
});

test('the last session time survives a restart (it is kept on the home volume)', async () => {
  const before = reportsAfter(0).filter((r) => r.lastSessionAt).at(-1)!.lastSessionAt!;
  await spark.stop();
  spark = boot();
  const first = await reportWhere(0, () => true, 'after the restart');
  assert.ok(first.lastSessionAt && Date.parse(first.lastSessionAt) >= Date.parse(before), `lastSessionAt ${first.lastSessionAt} is not older than ${before}`);
  assert.equal(first.unsavedWork, true, 'the stash and the local commit are still unsaved');
});
