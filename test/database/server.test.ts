/** The server process manager on its own: init, start, a stale postmaster.pid, a taken port, stop. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/database/connect.js';
import { freePort, initServer, readPostmasterPid, serverState, startServer, stopServer } from '../../src/database/server.js';
import { testServers } from '../support/postgres.js';

test('a server is initialised with scram auth, survives a stale postmaster.pid, reports a taken port with its log, and stops', async () => {
  const [pg] = testServers();
  const base = mkdtempSync(join(tmpdir(), 'spark-server-test-'));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  const password = `pw-@:/'"\\ é-${Date.now()}`;
  const options = { binDir: pg!.binDir, dataDir, port: await freePort(), superuser: 'owner', password, logFile: join(base, 'pg.log') };
  try {
    assert.equal(serverState(dataDir), 'uninitialised');
    assert.equal(await initServer(options), true);
    assert.equal(await initServer(options), false, 'initialised once');
    assert.equal(serverState(dataDir), 'stopped');

    // A crash leaves postmaster.pid behind with a pid that is no longer postgres.
    writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n0\n${options.port}\n\n\n\nready\n`);
    assert.equal(serverState(dataDir), 'stale');
    const server = await startServer(options);
    assert.equal(serverState(dataDir), 'running');
    assert.equal(readPostmasterPid(dataDir)?.pid, server.pid);

    // Password authentication, never trust: a wrong password is refused.
    const target = { host: '127.0.0.1', port: options.port, user: 'owner', database: 'postgres', sslmode: 'disable' as const };
    await (await connect({ ...target, password })).end();
    await assert.rejects(connect({ ...target, password: 'wrong-password' }), (e: Error & { code?: string }) => e.code === 'DB_AUTH_FAILED');

    await assert.rejects(startServer(options), (e: Error & { code?: string }) => e.code === 'PG_SERVER_RUNNING');
    // Same data dir copy not needed: a second server on the taken port fails with the log tail.
    const other = join(base, 'other');
    await initServer({ ...options, dataDir: other });
    await assert.rejects(startServer({ ...options, dataDir: other, logFile: join(base, 'other.log') }), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'PG_SERVER_START_FAILED');
      assert.match(e.hint ?? '', /could not bind|Address already in use|could not create any TCP\/IP sockets/);
      return true;
    });

    assert.equal(await server.stop(), true);
    assert.equal(serverState(dataDir), 'stopped');
    assert.equal(await stopServer(dataDir), false, 'nothing to stop');
  } finally {
    await stopServer(dataDir).catch(() => {});
    rmSync(base, { recursive: true, force: true });
  }
});
