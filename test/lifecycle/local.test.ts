/** The local runtime through the built `spark`, as the README's quick start runs it. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSpark } from '../support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'spark-local-cli-'));
const dataDir = join(home, 'data');
const env = { HOME: home, SPARK_CONFIG: join(home, 'none.json'), KUBECONFIG: join(home, 'no-kube'), SPARK_DATA_DIR: dataDir, SPARK_RUNTIME: 'local' };

after(async () => {
  await runSpark(['local', 'stop'], { env });
});

async function sql(name: string, query: string): Promise<{ code: number; out: string }> {
  const result = await runSpark(['shell', name, '--', 'psql', '-XAtc', query], { env });
  return { code: result.code, out: result.stdout.trim() + result.stderr.trim() };
}

test('local cycle: two sparks, separate non-superuser databases, recovery after kill -9, nothing left after delete', async () => {
  for (const name of ['alpha', 'beta']) {
    const created = await runSpark(['create', name, '--no-shell'], { env });
    assert.equal(created.code, 0, created.stderr);
    assert.ok(existsSync(join(dataDir, 'sparks', name, 'project')));
  }
  assert.equal((await sql('alpha', 'select current_database(), rolsuper from pg_roles where rolname = current_user')).out, 'alpha|f');
  // Separate databases: what alpha writes, beta does not see.
  assert.equal((await sql('alpha', 'create table notes(t text); insert into notes values (1); select count(*) from notes')).out.split('\n').pop(), '1');
  assert.match((await sql('beta', 'select count(*) from notes')).out, /relation "notes" does not exist/);
  assert.equal((await sql('beta', 'select current_database(), rolsuper from pg_roles where rolname = current_user')).out, 'beta|f');

  const listed = JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: Array<{ name: string; runtime: string; state: string }> };
  assert.deepEqual(listed.sparks.map((s) => [s.name, s.runtime, s.state]).sort(), [['alpha', 'local', 'Running'], ['beta', 'local', 'Running']]);

  const status = JSON.parse((await runSpark(['local', 'status', '--json'], { env })).stdout) as { running: boolean; pid: number };
  assert.equal(status.running, true);
  process.kill(status.pid, 'SIGKILL');
  assert.equal((await sql('alpha', 'select 42')).out, '42', 'the next command recovers the killed server');

  const exitCode = await runSpark(['shell', 'alpha', '--', 'sh', '-c', 'exit 3'], { env });
  assert.equal(exitCode.code, 3);

  const deleted = await runSpark(['delete', 'alpha', 'beta', '--yes'], { env });
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.ok(!existsSync(join(dataDir, 'sparks', 'alpha')) && !existsSync(join(dataDir, 'sparks', 'beta')));
  const empty = JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: unknown[] };
  assert.deepEqual(empty.sparks, []);
});
