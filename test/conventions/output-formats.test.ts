/**
 * `-o/--output json|yaml|wide|name` on list and status, tables cut to the terminal's width, and
 * status --json being the list entry plus its own fields: argv → output, through the built `spark`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import stringWidth from 'string-width';
import { parse as parseYaml } from 'yaml';
import { runSpark } from '../support/cli.js';
import { tempData, type TempData } from '../local/helpers.js';

let data: TempData;
let env: Record<string, string>;
let repo: string;

before(async () => {
  data = tempData();
  env = {
    HOME: data.base, SPARK_CONFIG: join(data.base, 'none.json'), KUBECONFIG: join(data.base, 'no-kube'),
    SPARK_DATA_DIR: data.dataDir, SPARK_RUNTIME: 'local', XDG_CACHE_HOME: join(data.base, 'cache'),
  };
  repo = join(data.base, 'a-repository-with-a-rather-long-name-that-no-terminal-row-has-room-for.git');
  execFileSync('git', ['init', '-q', '--bare', repo]);
  for (const args of [['alpha', '--repo', `file://${repo}`], ['beta']]) {
    const created = await runSpark(['create', ...args, '--no-shell'], { env });
    assert.equal(created.code, 0, created.stderr);
  }
  // An interrupted create: a workspace without its spark.json.
  mkdirSync(join(data.dataDir, 'sparks', 'gamma'));
});

after(async () => data.cleanup());

const lines = (text: string): string[] => text.split('\n').filter(Boolean);
const json = async (args: string[]): Promise<unknown> => JSON.parse((await runSpark(args, { env })).stdout);
/** Sizes and connection counts may move between two calls; everything else must be equal. */
const steady = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'sizeBytes' || k === 'connections' ? 0 : v)));

interface Row {
  argv: string[];
  columns?: number;
  check(stdout: string): void | Promise<void>;
}

const rows: Row[] = [
  {
    argv: ['list'], // piped, no $COLUMNS: nothing is cut
    check: (out) => {
      assert.match(lines(out)[0]!, /^NAME +STATUS +AGE +DATABASE +SSH +REPO$/);
      assert.ok(out.includes(`file://${repo}`));
      assert.ok(!out.includes('…'));
    },
  },
  {
    argv: ['list'],
    columns: 80,
    check: (out) => {
      for (const line of lines(out)) assert.ok(stringWidth(line) <= 80, `${stringWidth(line)} columns: ${line}`);
      const alpha = lines(out).find((l) => l.startsWith('alpha '))!;
      // No size: each one reads the database's files (-o wide and status show it).
      assert.match(alpha, /Running +\d+[smhd] +alpha +file:\/\/\S*…$/, 'the long repo is cut with an ellipsis');
      assert.deepEqual(lines(out).slice(1).map((l) => l.split(' ')[0]), ['gamma', 'beta', 'alpha'], 'names are never cut');
      assert.match(lines(out).find((l) => l.startsWith('gamma '))!, /Incomplete/);
    },
  },
  {
    argv: ['list', '-o', 'wide'],
    columns: 80,
    check: (out) => {
      assert.match(lines(out)[0]!, /^NAME +RUNTIME +STATUS +AGE +DATABASE +OWNER +SSH +HOST +REPO$/);
      assert.ok(out.includes(`file://${repo}`), 'wide shows everything');
      assert.match(lines(out).find((l) => l.startsWith('alpha '))!, / alpha \(\d[^)]*B\) /, 'the database with its size');
      assert.ok(out.includes('spark.json is missing (an interrupted create?)'));
      assert.ok(!out.includes('…'));
    },
  },
  { argv: ['list', '-o', 'name'], check: (out) => assert.equal(out, 'gamma\nbeta\nalpha\n') },
  { argv: ['ls', '--output=name'], check: (out) => assert.equal(out, 'gamma\nbeta\nalpha\n') },
  { argv: ['list', '-o', 'json'], check: async (out) => assert.deepEqual(steady(JSON.parse(out)), steady(await json(['list', '--json']))) },
  { argv: ['list', '-o', 'yaml'], check: async (out) => assert.deepEqual(steady(parseYaml(out)), steady(await json(['list', '--json']))) },
  { argv: ['status', 'alpha', '-o', 'name'], check: (out) => assert.equal(out, 'alpha\n') },
  { argv: ['status', 'alpha', '-o', 'json'], check: async (out) => assert.deepEqual(steady(JSON.parse(out)), steady(await json(['status', 'alpha', '--json']))) },
  { argv: ['status', 'alpha', '-o', 'yaml'], check: async (out) => assert.deepEqual(steady(parseYaml(out)), steady(await json(['status', 'alpha', '--json']))) },
  {
    argv: ['status', 'alpha'],
    columns: 80,
    check: (out) => {
      assert.match(out, /^alpha {2}Running/);
      assert.ok(out.includes(`repo      file://${repo}`));
    },
  },
];

for (const row of rows) {
  test(`spark ${row.argv.join(' ')}${row.columns ? ` (COLUMNS=${row.columns})` : ''}`, async () => {
    const result = await runSpark(row.argv, { env: { ...env, ...(row.columns ? { COLUMNS: String(row.columns) } : {}) } });
    assert.equal(result.code, 0, result.stderr);
    await row.check(result.stdout);
  });
}

test('an unknown output format is a usage error naming the choices', async () => {
  const result = await runSpark(['list', '-o', 'xml'], { env });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Allowed choices are json, yaml, wide, name/);
  assert.equal(result.stdout, '');
});

test('status --json is the list entry plus its own fields, for complete and incomplete sparks', async () => {
  const listing = (await json(['list', '--json'])) as { sparks: Array<Record<string, unknown>> };
  assert.deepEqual(listing.sparks.map((s) => s.name), ['gamma', 'beta', 'alpha']);
  for (const entry of listing.sparks) {
    const status = (await json(['status', entry.name as string, '--json'])) as Record<string, unknown>;
    assert.deepEqual(steady(Object.fromEntries(Object.keys(entry).map((k) => [k, status[k]]))), steady(entry), `status ${entry.name as string}`);
    for (const extra of ['objects', 'phase', 'restarts', 'events', 'databaseUnavailable']) assert.ok(extra in status, `${extra} in status ${entry.name as string}`);
  }
  const gamma = listing.sparks[0]!;
  assert.equal(gamma.state, 'Incomplete');
  assert.equal(typeof gamma.createdAt, 'string');
  assert.equal(gamma.legacy, false);
});
