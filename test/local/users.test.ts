/**
 * Root and normal users. PostgreSQL refuses to run as root, so as root the embedded server runs
 * as the OS user `postgres` (or `nobody`), and when the data directory sits somewhere that user
 * cannot reach (under /root, mode 700), the cluster goes to /var/lib/spark/<hash>/postgres.
 *
 * How both are covered: every other local test runs as whoever runs the suite. When that is root,
 * this file also runs the whole cycle as the unprivileged user `nobody` (a child process with its
 * uid/gid, its own data directory), i.e. the normal-user path; as a normal user the root-only
 * tests are skipped and the rest of the suite is the normal-user path.
 */
import { capture } from '../support/capture.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createSpark } from '../../src/core/create.js';
import { deleteSpark } from '../../src/core/delete.js';
import { embeddedBinDir, orphanedClusters, reachableBinDir, ROOT_BASE, serverUser } from '../../src/runtimes/local/embedded.js';
import { embeddedStatus, openLocalBackend } from '../../src/runtimes/local/index.js';
import { clusterOf, isRoot, runInvocation, tempData } from './helpers.js';

const CYCLE = fileURLToPath(new URL('./fixtures/cycle.ts', import.meta.url));
const NOT_ROOT = !isRoot && 'needs root (run the suite as root to cover the root paths)';

function passwdEntry(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

describe('local runtime: root and normal users', () => {
  test('as root, a data directory the server user cannot reach: the cluster goes to /var/lib/spark/<hash>, owned by that user, and everything works', { skip: NOT_ROOT }, async () => {
    const data = tempData({ parentMode: 0o700 }); // like /root: closed to others
    try {
      const backend = await openLocalBackend(await data.config());
      try {
        const cluster = clusterOf(data.dataDir)!;
        assert.match(cluster, /^\/var\/lib\/spark\/[0-9a-f]{16}\/postgres$/);
        const status = await embeddedStatus(data.dataDir);
        assert.equal(status.dataDir, cluster);
        assert.ok(status.running);
        const runAs = status.runAs!;
        const who = passwdEntry(runAs)!;
        assert.ok(who.uid !== 0);
        const leaf = statSync(cluster);
        assert.deepEqual([leaf.uid, leaf.mode & 0o777], [who.uid, 0o700]);
        const parent = statSync(dirname(cluster));
        assert.deepEqual([parent.uid, parent.mode & 0o777], [0, 0o755]);
        // Secrets stay in the data directory, root's own.
        assert.equal(statSync(join(data.dataDir, 'postgres-superuser')).uid, 0);
        assert.equal(statSync(data.base).mode & 0o777, 0o700, 'the closed parent is not loosened');

        await createSpark(backend, { name: 'rooted', timeoutMs: 5_000, isolation: 'shared', creator: 'root' });
        const ran = await runInvocation(await backend.runtime.shell('rooted', ['sh', '-c', 'psql -X -tA -c "select current_user" "$DATABASE_URL"']));
        assert.equal(ran.stdout.trim(), 'spark', ran.stderr);
        const serverUid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${status.pid}/status`, 'utf8'))?.[1]);
        assert.equal(serverUid, who.uid, 'postgres does not run as root');
        assert.deepEqual((await deleteSpark(backend, 'rooted', { keepDatabase: false })).left, []);
      } finally {
        await backend.close();
      }
    } finally {
      await data.cleanup();
    }
  });

  test('as root, a data directory removed by hand leaves its relocated cluster behind: the next start sets it aside (stopped, kept), starts afresh, and doctor points at it', { skip: NOT_ROOT }, async () => {
    const data = tempData({ parentMode: 0o700 });
    let orphans: string[] = [];
    try {
      const first = await openLocalBackend(await data.config());
      await createSpark(first, { name: 'before', timeoutMs: 5_000, isolation: 'shared', creator: 'root' });
      await first.close();
      const old = await embeddedStatus(data.dataDir);
      assert.ok(old.running && old.pid);
      rmSync(data.dataDir, { recursive: true, force: true }); // the server keeps running, its passwords are gone

      const backend = await openLocalBackend(await data.config());
      try {
        await createSpark(backend, { name: 'after', timeoutMs: 5_000, isolation: 'shared', creator: 'root' });
        const ran = await runInvocation(await backend.runtime.shell('after', ['sh', '-c', 'psql -X -tA -c "select current_database()" "$DATABASE_URL"']));
        assert.equal(ran.stdout.trim(), 'after', ran.stderr);
        assert.throws(() => process.kill(old.pid!, 0), 'the orphaned server was stopped');
        orphans = orphanedClusters(data.dataDir);
        assert.equal(orphans.length, 1);
        assert.ok(statSync(join(orphans[0]!, 'postgres', 'PG_VERSION')).isFile(), 'its data is kept');
        const check = (await backend.runtime.checks()).find((c) => c.id.startsWith('local-orphaned-'));
        assert.equal(check?.status, 'warn');
        assert.match(check?.fix ?? '', new RegExp(`rm -rf ${orphans[0]}`));
        assert.deepEqual((await deleteSpark(backend, 'after', { keepDatabase: false })).left, []);
      } finally {
        await backend.close();
      }
    } finally {
      await data.cleanup();
      for (const dir of orphans) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('as root, a reachable data directory keeps the cluster inside it (the data directory gets o+x only)', { skip: NOT_ROOT }, async () => {
    const data = tempData({ parentMode: 0o755 });
    try {
      const backend = await openLocalBackend(await data.config());
      await backend.close();
      assert.equal(clusterOf(data.dataDir), join(data.dataDir, 'postgres'));
      assert.equal(statSync(data.dataDir).mode & 0o777, 0o701);
      assert.equal(statSync(join(data.dataDir, 'postgres')).uid, passwdEntry((await embeddedStatus(data.dataDir)).runAs!)!.uid);
    } finally {
      await data.cleanup();
    }
  });

  test('as root, binaries the server user cannot reach (a checkout under /root) are copied once to /var/lib/spark and run from there', { skip: NOT_ROOT }, async () => {
    const hidden = mkdtempSync(join(tmpdir(), 'spark-local-bin-')); // mode 700, like /root
    const native = join(hidden, 'native');
    cpSync(dirname(await embeddedBinDir()), native, { recursive: true, verbatimSymlinks: true });
    const who = serverUser()!;
    let copy: string | undefined;
    try {
      const bin = reachableBinDir(join(native, 'bin'), who);
      copy = dirname(bin);
      assert.match(bin, new RegExp(`^${ROOT_BASE}/pg-[0-9a-f]{16}/bin$`));
      assert.equal(reachableBinDir(join(native, 'bin'), who), bin, 'copied once, then reused');
      const version = execFileSync(join(bin, 'postgres'), ['--version'], { uid: who.uid, gid: who.gid, encoding: 'utf8' });
      assert.match(version, /PostgreSQL\)? 18/);
      assert.throws(() => execFileSync(join(native, 'bin', 'postgres'), ['--version'], { uid: who.uid, gid: who.gid, stdio: 'ignore' }), 'the original is out of reach indeed');
    } finally {
      rmSync(hidden, { recursive: true, force: true });
      if (copy) rmSync(copy, { recursive: true, force: true });
    }
  });

  test('as a normal user (nobody, from root): the whole cycle, the server running as that user', { skip: NOT_ROOT }, async () => {
    const nobody = passwdEntry('nobody');
    assert.ok(nobody, 'no user nobody on this machine');
    const base = mkdtempSync(join(tmpdir(), 'spark-local-user-'));
    chownSync(base, nobody.uid, nobody.gid);
    chmodSync(base, 0o700);
    try {
      const run = await capture(process.execPath, ['--import', 'tsx', CYCLE, base], {
        uid: nobody.uid,
        gid: nobody.gid,
        cwd: fileURLToPath(new URL('../..', import.meta.url)), // where tsx resolves from
        env: { PATH: process.env.PATH, HOME: base, TMPDIR: base },
      });
      assert.equal(run.code, 0, run.stderr);
      const seen = JSON.parse(run.stdout) as Record<string, unknown>;
      assert.equal(seen.uid, nobody.uid);
      assert.equal(seen.psql, 'spark|solo|f\n# hello from the repo\n', String(seen.psqlError));
      assert.equal(seen.cluster, join(base, 'data', 'postgres'));
      assert.equal(seen.runAs, null);
      assert.equal(seen.serverUid, nobody.uid);
      assert.deepEqual(seen.left, []);
      assert.equal(seen.workspaceGone, true);
      assert.deepEqual(seen.databases, []);
      assert.equal(seen.stopped, true);
      assert.equal(statSync(join(base, 'data', 'postgres-superuser')).mode & 0o777, 0o600);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
