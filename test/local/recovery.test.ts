/**
 * The embedded server recovers by itself: kill -9 between operations, a stale postmaster.pid,
 * a taken port, a stale lock; concurrent first starts from several processes are safe; and
 * `spark local stop` / `status` report the truth. Conditions are awaited with deadlines, never slept on.
 */
import { capture } from '../support/capture.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/core/backend.js';
import { createSpark } from '../../src/core/create.js';
import { EmbeddedServer, embeddedStatus, openLocalBackend, stopEmbedded } from '../../src/runtimes/local/index.js';
import { clusterOf, pidAlive, postmasterPid, runInvocation, tempData, waitFor, type TempData } from './helpers.js';

const input = { timeoutMs: 5_000, isolation: 'shared' as const, creator: 'tester' };
const PSQL = ['sh', '-c', 'psql -X -tA -c "select current_database()" "$DATABASE_URL"'];
const FIXTURE = fileURLToPath(new URL('./fixtures/ensure.ts', import.meta.url));

/** A pid that certainly has no process (it just ended). */
function deadPid(): number {
  const pid = spawnSync('true').pid;
  assert.ok(pid && !pidAlive(pid));
  return pid;
}

function writePostmasterPid(dataDir: string, pid: number, port: number): void {
  const cluster = clusterOf(dataDir)!;
  writeFileSync(join(cluster, 'postmaster.pid'), `${pid}\n${cluster}\n1700000000\n${port}\n\n127.0.0.1\n  1234  5678\nready   \n`);
}

describe('local runtime: recovery', () => {
  let data: TempData;
  let backend: Backend;

  before(async () => {
    data = tempData();
    backend = await openLocalBackend(await data.config());
    await createSpark(backend, { ...input, name: 'keeper' });
  });
  after(async () => {
    await backend?.close();
    await data?.cleanup();
  });

  async function psqlWorks(b: Backend = backend): Promise<void> {
    const ran = await runInvocation(await b.runtime.shell('keeper', PSQL));
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout.trim(), 'keeper');
  }

  test('kill -9 of the server between operations: the next operation brings it back (same backend, and the next command)', async () => {
    const first = postmasterPid(data.dataDir);
    process.kill(first, 'SIGKILL');
    await waitFor('the killed server to be gone', () => !pidAlive(first));
    // The same backend (its connection died with the server).
    assert.deepEqual((await backend.databases.list()).map((d) => d.name), ['keeper']);
    const second = postmasterPid(data.dataDir);
    assert.notEqual(second, first);
    await psqlWorks();

    // And the next command, as the CLI opens it.
    process.kill(second, 'SIGKILL');
    await waitFor('the killed server to be gone', () => !pidAlive(second));
    const next = await openLocalBackend(await data.config());
    try {
      assert.equal((await next.databases.get('keeper'))?.owner, 'spark');
      await psqlWorks(next);
    } finally {
      await next.close();
    }
  });

  test('a stale postmaster.pid (a dead pid, or a live process that is not postgres) is recovered', async () => {
    const port = (await embeddedStatus(data.dataDir)).port!;
    assert.equal(await stopEmbedded(data.dataDir), true);
    writePostmasterPid(data.dataDir, deadPid(), port);
    assert.equal((await embeddedStatus(data.dataDir)).running, false);
    await psqlWorks(await openLocalBackend(await data.config()));

    assert.equal(await stopEmbedded(data.dataDir), true);
    const impostor = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writePostmasterPid(data.dataDir, impostor.pid!, port);
      const connection = await new EmbeddedServer(data.dataDir).ensure();
      assert.notEqual(connection.pid, impostor.pid);
      assert.ok(pidAlive(impostor.pid!), 'the unrelated process is left alone');
      await psqlWorks(await openLocalBackend(await data.config()));
    } finally {
      impostor.kill('SIGKILL');
    }
  });

  test("a taken port: the server starts on a free one, and the spark's DATABASE_URL follows it", async () => {
    const old = (await embeddedStatus(data.dataDir)).port!;
    assert.equal(await stopEmbedded(data.dataDir), true);
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(old, '127.0.0.1', resolve));
    try {
      const next = await openLocalBackend(await data.config());
      const status = await embeddedStatus(data.dataDir);
      assert.ok(status.running);
      assert.notEqual(status.port, old);
      const inv = await next.runtime.shell('keeper', PSQL);
      assert.equal(new URL(inv.env!.DATABASE_URL!).port, String(status.port));
      const envFile = readFileSync(join(data.dataDir, 'sparks', 'keeper', 'spark.env'), 'utf8');
      assert.match(envFile, new RegExp(`@127\\.0\\.0\\.1:${status.port}/keeper`), 'the env file is updated too');
      await psqlWorks(next);
      await next.close();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    // The new port is remembered: a restart keeps it.
    const moved = (await embeddedStatus(data.dataDir)).port;
    await stopEmbedded(data.dataDir);
    await new EmbeddedServer(data.dataDir).ensure();
    assert.equal((await embeddedStatus(data.dataDir)).port, moved);
  });

  test("a lost spark-role-password file: a new password is set on the role, and existing sparks' URLs follow it", async () => {
    const file = join(data.dataDir, 'spark-role-password');
    const before = readFileSync(file, 'utf8');
    assert.equal(await stopEmbedded(data.dataDir), true); // the next command takes the slow path
    rmSync(file);
    const next = await openLocalBackend(await data.config());
    try {
      assert.notEqual(readFileSync(file, 'utf8'), before);
      await psqlWorks(next);
      assert.equal((await next.databases.get('keeper'))?.owner, 'spark');
    } finally {
      await next.close();
    }
  });

  test('a stale lock left by a killed spark command is taken over', async () => {
    assert.equal(await stopEmbedded(data.dataDir), true);
    const lock = join(data.dataDir, 'embedded.lock');
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), JSON.stringify({ pid: deadPid(), token: 'gone' }));
    await psqlWorks(await openLocalBackend(await data.config()));
    assert.equal(existsSync(lock), false);
  });

  test('spark local stop and status: stop is reported once, status tells the truth, the next command starts it again', async () => {
    const running = await embeddedStatus(data.dataDir);
    assert.ok(running.running && running.pid && running.port && running.initialised);
    assert.equal(running.dataDir, clusterOf(data.dataDir));
    assert.equal(await stopEmbedded(data.dataDir), true);
    assert.equal(pidAlive(running.pid!), false);
    const stopped = await embeddedStatus(data.dataDir);
    assert.deepEqual([stopped.running, stopped.initialised, stopped.pid], [false, true, undefined]);
    assert.equal(await stopEmbedded(data.dataDir), false);
    await psqlWorks(await openLocalBackend(await data.config()));
    assert.equal(await stopEmbedded(join(data.base, 'never-used')), false);
    assert.equal((await embeddedStatus(join(data.base, 'never-used'))).initialised, false);
  });

  test('concurrent first starts from several processes: one initdb, one server, all agree, nothing left over', async () => {
    const fresh = tempData();
    try {
      const runs = await Promise.all(
        [1, 2, 3].map(
          () => capture(process.execPath, ['--import', 'tsx', FIXTURE, fresh.dataDir]),
        ),
      );
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const seen = new Set(runs.map((r) => r.stdout));
      assert.equal(seen.size, 1, [...seen].join(' vs '));
      const { pid } = JSON.parse(runs[0]!.stdout) as { pid: number };
      assert.equal(postmasterPid(fresh.dataDir), pid);
      const log = readFileSync(join(fresh.dataDir, 'postgres.log'), 'utf8');
      assert.equal(log.match(/database system is ready to accept connections/g)?.length, 1, 'started exactly once');
      assert.deepEqual(readdirSync(fresh.dataDir).sort(), ['embedded.json', 'postgres', 'postgres-superuser', 'postgres.log', 'spark-role-password'].filter((f) => f !== 'postgres' || clusterOf(fresh.dataDir) === join(fresh.dataDir, 'postgres')));
      // In-process too: concurrent ensure() calls of one command.
      const again = await Promise.all([1, 2, 3].map(() => new EmbeddedServer(fresh.dataDir).ensure()));
      assert.deepEqual(new Set(again.map((c) => c.pid)), new Set([pid]));
    } finally {
      await fresh.cleanup();
    }
  });
});
