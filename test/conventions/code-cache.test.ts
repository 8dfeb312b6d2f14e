/**
 * The code cache of the bin (src/cli/code-cache.ts, docs/decisions.md "Start-up"): the first command
 * writes it to $XDG_CACHE_HOME/spark, the next ones use it. It only ever makes spark faster:
 * whatever its state (missing, damaged, impossible to write), every command prints the same and
 * exits with the same code as with no cache at all.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runSpark, type RunResult } from '../support/cli.js';

const base = mkdtempSync(join(tmpdir(), 'spark-code-cache-'));
after(() => rmSync(base, { recursive: true, force: true }));

/**
 * A command that loads configuration, one that only prints help, a usage error (exit 2), and one
 * that loads a package from outside the bundle (the embedded PostgreSQL binaries, for their version).
 */
const COMMANDS = [['config', '--json'], ['--help'], ['confgi'], ['local', 'status', '--json']];

function env(cacheHome: string): Record<string, string> {
  return { HOME: join(base, 'home'), XDG_CACHE_HOME: cacheHome, SPARK_CONFIG: join(base, 'none.json'), SPARK_RUNTIME: 'local', SPARK_DATA_DIR: join(base, 'data'), KUBECONFIG: join(base, 'no-kube') };
}

const run = (args: string[], cacheHome: string): Promise<RunResult> => runSpark(args, { env: env(cacheHome) });

/** The code cache files under a cache home. */
function cacheFiles(cacheHome: string): string[] {
  try {
    return readdirSync(join(cacheHome, 'spark')).filter((f) => f.startsWith('code-')).map((f) => join(cacheHome, 'spark', f));
  } catch {
    return [];
  }
}

function onlyCacheFile(cacheHome: string): string {
  const files = cacheFiles(cacheHome);
  assert.equal(files.length, 1, `one code cache file in ${cacheHome}: ${files.join(', ')}`);
  return files[0]!;
}

/** What each command does with no cache at all: the cache home is a file, so none can be made. */
const expected = new Map<string, RunResult>();
let blocked: string;
before(async () => {
  mkdirSync(join(base, 'home'));
  blocked = join(base, 'not-a-directory');
  writeFileSync(blocked, 'a file where the cache directory would go\n');
  for (const args of COMMANDS) expected.set(args.join(' '), await run(args, blocked));
  assert.equal(expected.get('config --json')!.code, 0, expected.get('config --json')!.stderr);
  assert.equal(expected.get('--help')!.code, 0);
  assert.equal(expected.get('confgi')!.code, 2);
  const local = expected.get('local status --json')!;
  assert.equal(local.code, 0, local.stderr);
  assert.match((JSON.parse(local.stdout) as { version: string }).version, /^\d+\.\d+/, 'the version from the binaries\' package');
});

async function assertSameAsWithout(args: string[], cacheHome: string, why: string): Promise<void> {
  const result = await run(args, cacheHome);
  assert.deepEqual(result, expected.get(args.join(' ')), `spark ${args.join(' ')} ${why}`);
}

test('a cache directory that cannot be made changes nothing, and nothing is written', async () => {
  for (const args of COMMANDS) await assertSameAsWithout(args, blocked, 'with an impossible cache directory');
  assert.equal(readFileSync(blocked, 'utf8'), 'a file where the cache directory would go\n');
  assert.deepEqual(readdirSync(join(base, 'home')), [], 'nothing written to HOME either');
});

test('the first command writes the cache, private to the user; the next use it and leave it as it is', async () => {
  const cacheHome = join(base, 'fresh');
  await assertSameAsWithout(['config', '--json'], cacheHome, 'writing the cache');
  const file = onlyCacheFile(cacheHome);
  assert.equal(statSync(join(cacheHome, 'spark')).mode & 0o777, 0o700);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const written = statSync(file).ino;
  // Used: V8 accepted it (a rejected cache is replaced, with a new inode, when the command ends).
  await assertSameAsWithout(['config', '--json'], cacheHome, 'using the cache');
  assert.equal(statSync(file).ino, written, 'the cache was used as it was, not replaced');
  // A command it was not made by adds its own compiled code once, then uses it too.
  await assertSameAsWithout(['--help'], cacheHome, 'adding to the cache');
  const added = statSync(file).ino;
  assert.notEqual(added, written, 'the cache was rewritten with --help\'s code');
  for (const args of COMMANDS.slice(0, 2)) await assertSameAsWithout(args, cacheHome, 'using the cache');
  assert.equal(statSync(file).ino, added, 'then used as it was');
  assert.deepEqual(cacheFiles(cacheHome), [file], 'no temporary file is left behind');
});

test('a damaged cache changes neither output nor exit code, and is replaced by a good one', async () => {
  const cacheHome = join(base, 'damaged');
  for (const args of COMMANDS) await run(args, cacheHome);
  const file = onlyCacheFile(cacheHome);
  const good = readFileSync(file);
  const damages: Array<[string, (b: Buffer) => Buffer]> = [
    // V8 takes bytes changed in its data for code (node crashes): spark must check them first.
    ['bytes changed in the middle', (b) => Buffer.from(b.map((byte, i) => (i > b.length / 2 && i < b.length / 2 + 4096 ? byte ^ 0x5a : byte)))],
    ['cut short', (b) => b.subarray(0, Math.floor(b.length / 2))],
    ['random bytes', (b) => Buffer.from(b.map(() => Math.floor(Math.random() * 256)))],
    ['empty', () => Buffer.alloc(0)],
  ];
  for (const [damage, make] of damages) {
    for (const args of COMMANDS) {
      const damaged = make(good);
      writeFileSync(file, damaged);
      await assertSameAsWithout(args, cacheHome, `with a cache file ${damage}`);
      assert.ok(!readFileSync(file).equals(damaged), `the cache ${damage} was replaced (spark ${args.join(' ')})`);
      const replaced = statSync(file).ino;
      await assertSameAsWithout(args, cacheHome, 'with the replaced cache');
      assert.equal(statSync(file).ino, replaced, `the replacement of the cache ${damage} is used as it is`);
    }
  }
});

test('a new cache removes the caches of other versions not written for a month, and nothing else', async () => {
  const cacheHome = join(base, 'upgraded');
  const dir = join(cacheHome, 'spark');
  mkdirSync(dir, { recursive: true });
  const old = join(dir, 'code-0.0.1-v20.0.0-x64-0123456789abcdef.bin');
  const recent = join(dir, 'code-0.0.2-v20.0.0-x64-0123456789abcdef.bin');
  for (const file of [old, recent, join(dir, 'names')]) writeFileSync(file, 'x\n');
  const monthsAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
  utimesSync(old, monthsAgo, monthsAgo);
  utimesSync(join(dir, 'names'), monthsAgo, monthsAgo);
  await assertSameAsWithout(['--help'], cacheHome, 'with old caches about');
  const left = readdirSync(dir);
  assert.ok(!left.includes('code-0.0.1-v20.0.0-x64-0123456789abcdef.bin'), 'the old cache is removed');
  assert.ok(left.includes('code-0.0.2-v20.0.0-x64-0123456789abcdef.bin'), 'a recent one of another version stays');
  assert.ok(left.includes('names'), 'other files stay');
  assert.equal(left.filter((f) => f.startsWith('code-')).length, 2, 'the new cache is written');
});
