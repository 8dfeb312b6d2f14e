// Running from source (`node --import tsx src/cli/entry.ts`, as the test support does): the built
// bin is src/cli/launcher.ts, which runs main.ts from the bundle through a code cache.
declare const SPARK_VERSION: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The one direct write: a constant fixed at build time (no secret can be in it), and the fast path
  // loads nothing else, not even the redacting writer.
  // eslint-disable-next-line no-restricted-syntax
  process.stdout.write(`${typeof SPARK_VERSION === 'string' ? SPARK_VERSION : '0.0.0-dev'}\n`);
} else {
  await (await import('./main.js')).run(args);
}
