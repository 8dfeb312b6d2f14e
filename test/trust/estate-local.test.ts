/**
 * Trust, the local runtime (issue 11, items 15 and 16): a clone that never gets an answer is
 * bounded; a delete that cannot remove the workspace keeps the database (the remains are listed,
 * and doctor names the leftover with its fix); a mistyped name is "No spark named", not a
 * complaint about Kubernetes. The built `spark` on its embedded PostgreSQL in a temp data dir.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSpark } from '../support/cli.js';
import { unique } from '../support/postgres.js';
import { tempData, type TempData } from '../local/helpers.js';
import type { DoctorReport, Listing } from './estate-helpers.js';

describe('local estate', () => {
  let data: TempData;
  let env: Record<string, string>;
  before(() => {
    data = tempData();
    env = { SPARK_DATA_DIR: data.dataDir, SPARK_CONFIG: join(data.base, 'no-config.json'), HOME: data.base, KUBECONFIG: join(data.base, 'no-kubeconfig'), ANTHROPIC_API_KEY: 'sk-ant-fake.LOCAL.KEY' };
  });
  after(async () => {
    await data.cleanup();
  });
  const listing = async (): Promise<Listing> => JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as Listing;

  test('a clone from a server that never answers ends at --timeout and leaves nothing', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const name = unique('hang');
      const created = await runSpark(['create', name, '--runtime', 'local', '--no-shell', '--repo', `http://127.0.0.1:${port}/app.git`, '--timeout', '3s'], { env });
      assert.equal(created.code, 1, created.stderr);
      assert.match(created.stderr, /no answer within 3 s/);
      assert.ok(sockets.length > 0, 'git never reached the server');
      assert.equal((await listing()).sparks.find((s) => s.name === name), undefined, 'something of the spark was left');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('a delete that cannot remove the workspace keeps the database; doctor names the leftover; a second delete finishes', async () => {
    const name = unique('pinned');
    const created = await runSpark(['create', name, '--runtime', 'local', '--no-shell'], { env });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(existsSync(join(data.dataDir, 'sparks', name, '.creating')), false, 'a finished create leaves its in-flight mark');
    const pinned = join(data.dataDir, 'sparks', name, 'home', 'pinned');
    writeFileSync(pinned, 'cannot be removed, not even by root\n');
    execFileSync('chattr', ['+i', pinned]);
    let aside: string | undefined;
    try {
      const refused = await runSpark(['delete', name, '--yes'], { env });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /rm -rf/);
      const row = (await listing()).sparks.find((s) => s.name === name);
      assert.equal(row?.state, 'Incomplete', 'the remains are listed');
      assert.equal(row?.database?.name, name, 'the database was dropped while the workspace stayed');
      const doctor = JSON.parse((await runSpark(['doctor', '--json'], { env })).stdout) as DoctorReport;
      const leftover = doctor.checks.find((c) => c.id === `local-leftover-${name}`);
      assert.ok(leftover, JSON.stringify(doctor.checks.map((c) => c.id)));
      assert.match(leftover.fix ?? '', new RegExp(`spark delete ${name} --yes`));
      aside = leftover.detail;
    } finally {
      const dir = readdirSync(join(data.dataDir, 'sparks')).find((e) => e.startsWith(`.deleting-${name}-`));
      execFileSync('chattr', ['-i', dir ? join(data.dataDir, 'sparks', dir, 'home', 'pinned') : pinned]);
    }
    assert.ok(aside);
    const finished = await runSpark(['delete', name, '--yes'], { env });
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal((await listing()).sparks.find((s) => s.name === name), undefined);
    assert.deepEqual(readdirSync(join(data.dataDir, 'sparks')).filter((e) => e.startsWith('.deleting-')), []);
  });

  test('a mistyped name, for a user without a cluster: No spark named, with the close local names', async () => {
    const name = unique('near');
    assert.equal((await runSpark(['create', name, '--runtime', 'local', '--no-shell'], { env })).code, 0);
    const typo = `${name.slice(0, -1)}${name.endsWith('x') ? 'y' : 'x'}`;
    for (const args of [['status', typo], ['shell', typo], ['delete', typo, '--yes']]) {
      const result = await runSpark(args, { env });
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`No spark named "${typo}"\\. Did you mean: ${name}\\?`));
      assert.doesNotMatch(result.stderr, /Kubernetes|kubeconfig/);
    }
    assert.equal((await runSpark(['delete', typo, '--yes', '--ignore-not-found'], { env })).code, 0);
    assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
  });
});
