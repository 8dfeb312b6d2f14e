/**
 * The bin (dist/spark.cjs). CommonJS, so node starts it without the ESM loader, and `--version`
 * answers before anything else is read. Every other command runs the application bundle
 * (dist/app.cjs) compiled with a V8 code cache (./code-cache.ts; docs/decisions.md, "Start-up").
 */

declare const SPARK_VERSION: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The one direct write: a constant fixed at build time (no secret can be in it), and the fast path
  // loads nothing else, not even the redacting writer.
  // eslint-disable-next-line no-restricted-syntax
  process.stdout.write(`${SPARK_VERSION}\n`);
} else {
  // Required only here, so `--version` loads none of the modules the code cache needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runApp } = require('./code-cache.js') as typeof import('./code-cache.js');
  runApp(args);
}

