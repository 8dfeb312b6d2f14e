/**
 * `spark db …` through the built `spark` on the local runtime (its embedded PostgreSQL 18): data
 * written through the spark's DATABASE_URL survives snapshot → change → restore exactly; reset,
 * drop-snapshot, templates; bad input is refused with the fix and the right exit code; delete
 * takes the snapshots along unless asked to keep them.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runSpark, type RunResult } from '../support/cli.js';
import { superuser, tempData, type TempData } from './helpers.js';

let data: TempData;
let env: Record<string, string>;

before(() => {
  data = tempData();
  env = {
    HOME: data.base, SPARK_CONFIG: join(data.base, 'none.json'), KUBECONFIG: join(data.base, 'no-kube'),
    SPARK_DATA_DIR: data.dataDir, SPARK_RUNTIME: 'local', XDG_CACHE_HOME: join(data.base, 'cache'),
  };
});
after(async () => data.cleanup());

async function spark(args: string[], expectCode = 0): Promise<RunResult> {
  const result = await runSpark(args, { env });
  assert.equal(result.code, expectCode, `spark ${args.join(' ')}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** SQL through the spark's own DATABASE_URL, as a user types it in `spark shell`. */
async function psql(name: string, sql: string): Promise<string> {
  const result = await spark(['shell', name, '--', 'sh', '-c', 'psql -X -v ON_ERROR_STOP=1 -tA -F "|" -c "$1" "$DATABASE_URL"', 'sh', sql]);
  return result.stdout.trim();
}

async function databases(pattern: string): Promise<string[]> {
  const status = JSON.parse((await spark(['local', 'status', '--json'])).stdout) as { port: number };
  const su = await superuser(data.dataDir, status.port);
  try {
    return (await su.query(`SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1`, [pattern])).rows.map((r) => String(r.datname));
  } finally {
    await su.end();
  }
}

test('snapshot → change → restore through the CLI gives back exactly what was written; snapshots lists it; reset empties', async () => {
  await spark(['create', 'orchard', '--no-shell']);
  await psql('orchard', `CREATE TABLE fruit (id int PRIMARY KEY, name text); INSERT INTO fruit SELECT g, md5(g::text) FROM generate_series(1, 1000) g`);
  const before = await psql('orchard', 'SELECT id, name FROM fruit ORDER BY id');

  const made = await spark(['db', 'snapshot', 'orchard', '--label', 'before pruning']);
  const id = made.stdout.trim();
  assert.match(id, /^[a-z0-9]{6}$/, 'stdout carries the id alone');
  assert.match(made.stderr, new RegExp(`Snapshot ${id} of orchard`));

  const listed = JSON.parse((await spark(['db', 'snapshots', 'orchard', '--json'])).stdout) as { snapshots: Array<{ id: string; label: string; sizeBytes: number; createdAt: string }> };
  assert.deepEqual(listed.snapshots.map((s) => [s.id, s.label]), [[id, 'before pruning']]);
  assert.ok(listed.snapshots[0]!.sizeBytes > 1_000_000);
  const table = await spark(['db', 'snapshots', 'orchard']);
  assert.match(table.stdout, /^ID\s+LABEL\s+SIZE\s+CREATED/);
  assert.match(table.stdout, new RegExp(`${id}\\s+before pruning`));

  await psql('orchard', `DELETE FROM fruit WHERE id % 2 = 0; UPDATE fruit SET name = 'pruned'`);
  assert.notEqual(await psql('orchard', 'SELECT id, name FROM fruit ORDER BY id'), before);

  const restored = await spark(['db', 'restore', 'orchard', id, '--json']);
  assert.deepEqual(Object.keys(JSON.parse(restored.stdout)).sort(), ['endedSessions', 'restored', 'spark', 'strategy']);
  assert.equal(await psql('orchard', 'SELECT id, name FROM fruit ORDER BY id'), before, 'every row as it was');

  await spark(['db', 'reset', 'orchard']);
  assert.equal(await psql('orchard', `SELECT to_regclass('fruit') IS NULL`), 't', 'reset: empty again');
  assert.equal((await spark(['db', 'snapshots', 'orchard', '--json'])).stdout.includes(id), true, 'reset keeps the snapshots');

  await spark(['db', 'drop-snapshot', 'orchard', id]);
  assert.deepEqual(JSON.parse((await spark(['db', 'snapshots', 'orchard', '--json'])).stdout).snapshots, []);
  assert.deepEqual(await databases('orchard@%'), []);
});

test('bad input: unknown id, invalid id, unknown spark, a database that is not a spark\'s — each a clear error with the fix', async () => {
  await spark(['create', 'quarry', '--no-shell']);
  const unknown = await spark(['db', 'restore', 'quarry', 'abc123'], 1);
  assert.match(unknown.stderr, /error: The spark "quarry" has no snapshot "abc123"\. It has no snapshots\./);
  assert.match(unknown.stderr, /fix: See them with: spark db snapshots quarry/);
  const json = await spark(['db', 'restore', 'quarry', 'abc123', '--json'], 1);
  assert.equal(JSON.parse(json.stdout).error.code, 'SNAPSHOT_NOT_FOUND');

  const invalid = await spark(['db', 'restore', 'quarry', 'NOT-AN-ID'], 2);
  assert.match(invalid.stderr, /^error: Invalid snapshot id "NOT-AN-ID"/, 'a usage error before any progress');
  assert.match(invalid.stderr, /fix: See the ids with: spark db snapshots quarry/);
  const badName = await spark(['db', 'snapshot', 'Bad_Name'], 2);
  assert.match(badName.stderr, /Invalid spark name/);
  const label = await spark(['db', 'snapshot', 'quarry', '--label', 'two\nlines'], 2);
  assert.match(label.stderr, /one line/);

  // A create of that name still running (its mark: this test process, alive, on this machine).
  const mark = join(data.dataDir, 'sparks', 'quarry', '.creating');
  writeFileSync(mark, JSON.stringify({ host: hostname(), pid: process.pid, until: new Date(Date.now() + 60_000).toISOString() }));
  try {
    const inFlight = await spark(['db', 'restore', 'quarry', 'abc123', '--json'], 1);
    assert.equal(JSON.parse(inFlight.stdout).error.code, 'CREATE_IN_FLIGHT');
    assert.match(JSON.parse(inFlight.stdout).error.hint, /Wait for that create to finish/);
    const snapshot = await spark(['db', 'snapshot', 'quarry'], 1);
    assert.match(snapshot.stderr, /"quarry" is still being created/);
  } finally {
    rmSync(mark);
  }

  const none = await spark(['db', 'snapshots', 'nowhere'], 1);
  assert.match(none.stderr, /No spark named "nowhere"/);

  // A database of the spark role that spark did not make (no tag) is nobody's spark.
  const status = JSON.parse((await spark(['local', 'status', '--json'])).stdout) as { port: number };
  const su = await superuser(data.dataDir, status.port);
  try {
    await su.query(`CREATE DATABASE plainold OWNER spark`);
    const foreign = await spark(['db', 'snapshot', 'plainold'], 1);
    assert.match(foreign.stderr, /is not a spark's database here: spark did not make it/);
    assert.deepEqual(await databases('plainold@%'), []);
  } finally {
    await su.query(`DROP DATABASE IF EXISTS plainold`);
    await su.end();
  }
});

test('golden templates: made from a spark, closed to everyone, seed new sparks; a spark name is refused as a template name', async () => {
  await spark(['create', 'seedbed', '--no-shell']);
  await psql('seedbed', `CREATE TABLE plants (id int PRIMARY KEY, kind text); INSERT INTO plants VALUES (1, 'fern')`);
  const made = await spark(['db', 'template', 'create', 'garden', '--from', 'seedbed']);
  assert.match(made.stdout, /^garden\n/);
  const listed = JSON.parse((await spark(['db', 'template', 'list', '--json'])).stdout) as { templates: Array<{ name: string; from: string }> };
  assert.deepEqual(listed.templates.map((t) => [t.name, t.from]), [['garden', 'seedbed']]);

  const clash = await spark(['db', 'template', 'create', 'seedbed', '--from', 'seedbed'], 1);
  assert.match(clash.stderr, /"seedbed" is the name of a spark/);
  const again = await spark(['db', 'template', 'create', 'garden', '--from', 'seedbed'], 1);
  assert.match(again.stderr, /fix: Drop it first: spark db template drop garden/);

  // A template-seeded spark has the template's schema and data; reset goes back to the template.
  await spark(['create', 'sprout', '--no-shell', '--db-template', 'garden']);
  assert.equal(await psql('sprout', 'SELECT kind FROM plants'), 'fern');
  await psql('sprout', `INSERT INTO plants VALUES (2, 'moss')`);
  const reset = await spark(['db', 'reset', 'sprout', '--json']);
  assert.equal(JSON.parse(reset.stdout).template, 'garden');
  assert.equal(await psql('sprout', 'SELECT count(*) FROM plants'), '1');
  // SPARK_DB_TEMPLATE does the same for every create.
  const viaEnv = await runSpark(['create', 'shoot', '--no-shell', '--json'], { env: { ...env, SPARK_DB_TEMPLATE: 'garden' } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).dbTemplate, 'garden');
  assert.equal(await psql('shoot', 'SELECT kind FROM plants'), 'fern');
  const missing = await spark(['create', 'weed', '--no-shell', '--db-template', 'nosuch'], 1);
  assert.match(missing.stderr, /No golden template named "nosuch"/);
  assert.match(missing.stderr, /Nothing of "weed" was left behind/);
  assert.deepEqual(await databases('weed%'), []);

  await spark(['db', 'template', 'drop', 'garden']);
  const gone = await spark(['db', 'template', 'drop', 'garden'], 1);
  assert.match(gone.stderr, /No golden template named "garden"/);
  assert.deepEqual(await databases('garden@%'), []);
});

test('delete removes the spark\'s snapshots; --keep-snapshots keeps them', async () => {
  await spark(['create', 'meadow', '--no-shell']);
  await spark(['create', 'pasture', '--no-shell']);
  for (const name of ['meadow', 'pasture']) {
    await spark(['db', 'snapshot', name]);
    await spark(['db', 'snapshot', name]);
  }
  assert.equal((await databases('meadow@%')).length, 2);
  const rows = JSON.parse((await spark(['list', '--json'])).stdout) as { sparks: Array<{ name: string; snapshots: { count: number; sizeBytes: number } | null }> };
  const meadow = rows.sparks.find((r) => r.name === 'meadow');
  assert.equal(meadow?.snapshots?.count, 2);
  assert.ok((meadow?.snapshots?.sizeBytes ?? 0) > 2_000_000);
  assert.equal(rows.sparks.find((r) => r.name === 'orchard')?.snapshots?.count, 0);
  assert.match((await spark(['list'])).stdout, /meadow \(2 snapshots \d+(\.\d)? MB\)/);
  // The database's own size only with -o wide (and in status): it reads every file of the database.
  assert.match((await spark(['list', '-o', 'wide'])).stdout, /meadow \(\d+(\.\d)? MB, 2 snapshots \d+(\.\d)? MB\)/);
  assert.match((await spark(['status', 'meadow'])).stdout, /^snapshots 2, \d+(\.\d)? MB \(spark db snapshots meadow\)$/m);
  assert.equal((JSON.parse((await spark(['status', 'meadow', '--json'])).stdout) as { snapshots: { count: number } }).snapshots.count, 2);
  const deleted = await spark(['delete', 'meadow', '--yes', '--json']);
  assert.match(JSON.stringify(JSON.parse(deleted.stdout).deleted[0].removed), /2 snapshots/);
  assert.deepEqual(await databases('meadow%'), [], 'nothing of meadow is left');

  await spark(['delete', 'pasture', '--yes', '--keep-snapshots']);
  assert.equal((await databases('pasture@%')).length, 2, 'kept');
  assert.deepEqual(await databases('pasture'), []);
  const doctor = await spark(['doctor', '--json'], 0);
  const kept = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; title: string; fix?: string }> }).checks.filter((c) => c.id.startsWith('branch-'));
  assert.equal(kept.length, 2, JSON.stringify(kept));
  assert.match(kept[0]!.fix ?? '', /^spark db drop-snapshot pasture [a-z0-9]{6}$/);
  for (const check of kept) await spark(check.fix!.split(' ').slice(1));
  assert.deepEqual(await databases('pasture%'), []);
});

test('fork: create --from copies the database and the workspace; the two diverge; --snapshot forks a snapshot', async () => {
  await spark(['create', 'parent', '--no-shell']);
  await psql('parent', `CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'from the parent')`);
  writeFileSync(join(data.dataDir, 'sparks', 'parent', 'home', 'todo.txt'), 'water the plants\n');
  const snap = (await spark(['db', 'snapshot', 'parent'])).stdout.trim();
  await psql('parent', `INSERT INTO notes VALUES (2, 'after the snapshot')`);

  const forked = await spark(['create', 'child', '--from', 'parent', '--no-shell', '--json']);
  assert.equal(JSON.parse(forked.stdout).from, 'parent');
  assert.equal(await psql('child', 'SELECT count(*) FROM notes'), '2', 'the fork sees the parent\'s rows');
  assert.equal(readFileSync(join(data.dataDir, 'sparks', 'child', 'home', 'todo.txt'), 'utf8'), 'water the plants\n', 'and its home');
  await psql('child', `INSERT INTO notes VALUES (3, 'child only')`);
  await psql('parent', `DELETE FROM notes WHERE id = 1`);
  assert.equal(await psql('child', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM notes'), '1,2,3');
  assert.equal(await psql('parent', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM notes'), '2');
  assert.equal(await psql('child', 'SELECT current_database()'), 'child');

  await spark(['create', 'grandchild', '--from', 'parent', '--snapshot', snap, '--no-shell']);
  assert.equal(await psql('grandchild', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM notes'), '1', 'the snapshot, not the parent now');

  const usage = await spark(['create', 'orphan', '--snapshot', snap, '--no-shell'], 2);
  assert.match(usage.stderr, /--snapshot needs --from/);
  const nowhere = await spark(['create', 'orphan', '--from', 'nowhere', '--no-shell'], 1);
  assert.match(nowhere.stderr, /No spark named "nowhere"/);
  const badSnap = await spark(['create', 'orphan', '--from', 'parent', '--snapshot', 'zzzzzz', '--no-shell'], 1);
  assert.match(badSnap.stderr, /has no snapshot "zzzzzz"/);
  assert.deepEqual(await databases('orphan%'), [], 'a failed fork leaves no database');
  assert.equal((await spark(['list', '-o', 'name'])).stdout.includes('orphan'), false, 'nor a workspace');
});
