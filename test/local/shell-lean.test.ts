/**
 * `spark shell` on the local runtime trusts the embedded server's postmaster.pid (ready, a live
 * postgres process) and asks the server nothing: with the postmaster stopped (SIGSTOP), where any
 * connection would wait for an answer that never comes, shell still runs its command at once with
 * the server's port. A server that is gone (kill -9) is started again before the command runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { runSpark } from '../support/cli.js';
import { postmasterPid, tempData, type TempData } from './helpers.js';

let data: TempData;
let env: Record<string, string>;

before(async () => {
  data = tempData();
  env = { HOME: data.base, SPARK_CONFIG: join(data.base, 'none.json'), KUBECONFIG: join(data.base, 'no-kube'), SPARK_DATA_DIR: data.dataDir, SPARK_RUNTIME: 'local' };
  const created = await runSpark(['create', 'lean', '--no-shell'], { env });
  assert.equal(created.code, 0, created.stderr);
});

after(async () => data.cleanup());

const port = async (): Promise<{ code: number; port: string; stderr: string }> => {
  const result = await runSpark(['shell', 'lean', '--', 'sh', '-c', 'echo "$PGPORT"'], { env, timeoutMs: 30_000 });
  return { code: result.code, port: result.stdout.trim(), stderr: result.stderr };
};

test('shell asks the running server nothing: it works while the postmaster is stopped', async () => {
  const before = await port();
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.port, /^\d+$/);
  const pid = postmasterPid(data.dataDir);
  process.kill(pid, 'SIGSTOP');
  try {
    // A connection (or a login) would hang here until the test's timeout kills spark.
    assert.deepEqual(await port(), before);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
});

test('a server that is gone is started again before the command runs', async () => {
  process.kill(postmasterPid(data.dataDir), 'SIGKILL');
  const result = await runSpark(['shell', 'lean', '--', 'psql', '-XAtc', 'select 42'], { env, timeoutMs: 60_000 });
  assert.equal(result.stdout.trim(), '42', result.stderr);
});
