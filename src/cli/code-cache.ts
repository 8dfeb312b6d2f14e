/**
 * The code cache of the bin (src/cli/launcher.ts): dist/app.cjs run with V8's compiled code kept in
 * the user's cache directory, so the bundle is not parsed and compiled again on every command
 * (docs/decisions.md, "Start-up").
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

declare const SPARK_VERSION: string;
/** A hash of dist/app.cjs, fixed at build time: a cache made from another bundle is never offered. */
declare const SPARK_APP_ID: string;
/** A cache is rewritten for at most this many command words (a typo is a word too). */
const MAX_COMMANDS = 40;
/** Caches of other versions (of spark, node or the bundle) untouched this long are removed by the next new one. */
const STALE_MS = 30 * 24 * 3600 * 1000;

/** Run the CLI (dist/app.cjs, beside the bin) through the code cache. */
export function runApp(args: string[]): void {
  const app = runCached(join(__dirname, 'app.cjs'), commandWord(args)) as { run(argv: string[]): Promise<never> };
  void app.run(args);
}

/**
 * The code cache holds the functions the commands it was written by ran. A command not among them
 * compiles its own functions lazily, so the cache is written again once, at the end of that
 * command, with them added (at most MAX_COMMANDS times per cache).
 */
function commandWord(argv: string[]): string {
  const word = argv[0] ?? '';
  return /^[a-z][a-z-]{0,30}$/.test(word) ? word : word.startsWith('-') ? '-' : '?';
}

/**
 * V8 rejects a cache made under other V8 flags (`--max-old-space-size` in NODE_OPTIONS, say): each
 * set of node options gets its own file, so alternating them does not rewrite one file every time.
 */
function nodeFlagsId(): string {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0');
  if (flags === '') return '';
  let hash = 0x811c9dc5;
  for (let i = 0; i < flags.length; i++) hash = Math.imul(hash ^ flags.charCodeAt(i), 0x01000193);
  return `-${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

/** $XDG_CACHE_HOME/spark or ~/.cache/spark, as the completion name cache (src/cli/name-cache.ts). */
function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'spark');
}

interface CacheFile {
  commands: string[];
  data?: Buffer;
}

/**
 * The file: one header line `{"sha1":…,"commands":[…]}`, then V8's data. V8 checks that the data
 * fits this node, V8 version, flags and source length, but not that its bytes are intact (corrupt
 * data crashes node), so the hash is checked here first: a damaged file is no cache.
 */
function readCache(file: string): CacheFile {
  try {
    const bytes = readFileSync(file);
    const end = bytes.indexOf(10);
    const header = JSON.parse(bytes.subarray(0, end).toString('latin1')) as { sha1?: unknown; commands?: unknown };
    const data = bytes.subarray(end + 1);
    if (end < 0 || typeof header.sha1 !== 'string' || !Array.isArray(header.commands)) return { commands: [] };
    // Loaded here only when there is a cache to check; most commands load node:crypto anyway.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { hash } = require('node:crypto') as typeof import('node:crypto');
    if (hash('sha1', data) !== header.sha1) return { commands: [] };
    return { commands: header.commands.filter((c): c is string => typeof c === 'string'), data };
  } catch {
    return { commands: [] };
  }
}

/**
 * Temp file + rename: a reader sees the old cache or the new one, never half of one. The temp file
 * is opened before V8 is asked for the data, so an unwritable cache directory costs nothing.
 */
function writeCache(file: string, script: Script, commands: string[]): void {
  const temporary = `${file}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    makeDir(dirname(file));
    fd = openSync(temporary, 'wx', 0o600);
    const data = script.createCachedData();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { hash } = require('node:crypto') as typeof import('node:crypto');
    writeSync(fd, `${JSON.stringify({ sha1: hash('sha1', data), commands })}\n`);
    writeSync(fd, data);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, file);
  } catch {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(temporary, { force: true });
    } catch {
      // nothing was written, or it cannot be removed: either way there is no cache
    }
  }
}

/**
 * Other code caches not written for a month: most are an older spark's or node's. One still in use
 * (another installed spark) is only made again by its next command.
 */
function removeStale(dir: string, keep: string): void {
  try {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path !== keep && /^code-.*\.bin$/.test(name) && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    }
  } catch {
    // an old cache left behind takes room, nothing else
  }
}

/**
 * The cache directory and its parent (~/.cache), no deeper: node's recursive mkdir never returns
 * on some file systems (a path under /proc), and a cache is not worth making a home for.
 */
function makeDir(dir: string): void {
  for (const d of [dirname(dir), dir]) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Run a CommonJS file as require() would, but compiled with the code cache. The cache only ever
 * speeds things up: missing, unreadable, damaged, or made by another node, V8, flags or bundle, it
 * is not used and is replaced when the command ends; when it cannot be written, it is not there
 * next time. Nothing about it is ever an error or output.
 */
function runCached(filename: string, command: string): unknown {
  const code = readFileSync(filename, 'utf8');
  const file = join(cacheDir(), `code-${SPARK_VERSION}-${process.version}-${process.arch}-${SPARK_APP_ID}${nodeFlagsId()}.bin`);
  const cache = readCache(file);
  // The bundle has no import() (scripts/build.mjs): with code from a cache, node 20 would not run it.
  const script = new Script(wrap(code), { filename, cachedData: cache.data });
  if (!cache.data || script.cachedDataRejected) {
    process.once('exit', () => {
      writeCache(file, script, [command]);
      if (!cache.data) removeStale(dirname(file), file);
    });
  } else if (!cache.commands.includes(command) && cache.commands.length < MAX_COMMANDS) {
    process.once('exit', () => writeCache(file, script, [...cache.commands, command]));
  }
  const module = { exports: {} as unknown, filename, id: filename, loaded: false };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, __filename: string, __dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  module.loaded = true;
  return module.exports;
}
