/**
 * The local runtime keeps no expiry (README "Expiry and the reaper"): an explicit --ttl is refused
 * before anything is made, SPARK_DEFAULT_TTL is left out with a note, extend says the runtime
 * cannot, and reap keeps local sparks with the reason. Through the built `spark`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSpark } from '../support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'spark-local-expiry-'));
const dataDir = join(home, 'data');
const env = { HOME: home, SPARK_CONFIG: join(home, 'none.json'), KUBECONFIG: join(home, 'no-kube'), SPARK_DATA_DIR: dataDir, SPARK_RUNTIME: 'local' };

after(async () => {
  await runSpark(['delete', 'kept', '--yes', '--ignore-not-found'], { env });
  await runSpark(['local', 'stop'], { env });
});

test('local sparks: --ttl refused with the reason, nothing made; default TTL not applied; extend refused; reap keeps them', async () => {
  const refused = await runSpark(['create', 'short', '--ttl', '1h', '--no-shell'], { env });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /error: The local runtime cannot give sparks an expiry time\./);
  assert.match(refused.stderr, /fix: /);
  assert.ok(!existsSync(join(dataDir, 'sparks', 'short')), 'nothing was made');

  const created = await runSpark(['create', 'kept', '--no-shell', '--json'], { env: { ...env, SPARK_DEFAULT_TTL: '7d' } });
  assert.equal(created.code, 0, created.stderr);
  assert.equal((JSON.parse(created.stdout) as { expiresAt: string | null }).expiresAt, null);
  const noted = await runSpark(['create', 'kept', '--no-shell'], { env: { ...env, SPARK_DEFAULT_TTL: '7d' } });
  assert.match(noted.stderr, /SPARK_DEFAULT_TTL=7d is not applied: local sparks do not expire/);

  const extend = await runSpark(['extend', 'kept', '1h'], { env });
  assert.equal(extend.code, 1);
  assert.match(extend.stderr, /The local runtime cannot give sparks an expiry time/);
  const missing = await runSpark(['extend', 'nowhere', '1h'], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No spark named "nowhere"/);

  const reaped = await runSpark(['reap', '--json'], { env });
  assert.equal(reaped.code, 0, reaped.stderr);
  assert.deepEqual(JSON.parse(reaped.stdout), { dryRun: false, actions: [{ name: 'kept', runtime: 'local', action: 'keep', reason: 'the local runtime cannot put sparks to sleep', done: true, error: null }] });
  const listed = JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as { sparks: Array<{ name: string; expiresAt: string | null }> };
  assert.deepEqual(listed.sparks.map((s) => [s.name, s.expiresAt]), [['kept', null]]);
});
