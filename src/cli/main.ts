import { Command, CommanderError } from 'commander';
import { SparkError } from '../errors.js';
import { guardStream, redact } from '../redact.js';
import { register as registerAdmin } from './commands/admin.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerCreate } from './commands/create.js';
import { register as registerLifecycle } from './commands/lifecycle.js';

declare const SPARK_VERSION: string;
const version = typeof SPARK_VERSION === 'string' ? SPARK_VERSION : '0.0.0-dev';

// Everything spark prints passes through the redaction step.
guardStream(process.stdout);
guardStream(process.stderr);
// `spark list | head`: a reader that has gone is no failure. Later writes go nowhere and the command
// still finishes, so a create is never cut short half-way.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** Commander errors that mean "the command line was wrong": exit 2. */
const USAGE_CODES = new Set([
  'commander.unknownCommand', 'commander.unknownOption', 'commander.missingArgument', 'commander.excessArguments',
  'commander.optionMissingArgument', 'commander.missingMandatoryOptionValue', 'commander.invalidArgument',
  'commander.conflictingOption', 'commander.help',
]);

function buildProgram(): Command {
  const program = new Command('spark')
    .description('Disposable development environments, each with its own PostgreSQL database.')
    .version(version, '-V, --version', 'print the version')
    .option('--json', 'machine-readable output only (on stdout)')
    .option('-q, --quiet', 'no progress output')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .option('-n, --namespace <namespace>', 'Kubernetes namespace of sparks (SPARK_NAMESPACE)')
    .option('--context <context>', 'kube context to use (SPARK_CONTEXT)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run "spark --help" for usage)')
    .exitOverride();
  registerCreate(program);
  registerLifecycle(program);
  registerConfig(program);
  registerAdmin(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride().showSuggestionAfterError(true);
  return program;
}

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

/** The one place that turns an outcome into output and an exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      return USAGE_CODES.has(error.code) ? 2 : error.exitCode || 1;
    }
    const sparkError = error instanceof SparkError ? error : new SparkError(`Unexpected error: ${(error as Error)?.stack ?? String(error)}`, { hint: 'This is a bug in spark; please report it with the command you ran.', code: 'INTERNAL' });
    if (wantsJson(argv)) {
      process.stdout.write(`${JSON.stringify({ error: { code: sparkError.code, message: redact(sparkError.message), hint: sparkError.hint ?? null, exitCode: sparkError.exitCode } }, null, 2)}\n`);
    } else {
      process.stderr.write(`error: ${sparkError.message}\n`);
      if (sparkError.hint) process.stderr.write(`fix: ${sparkError.hint.split('\n').join('\n     ')}\n`);
    }
    return sparkError.exitCode;
  }
}

/** Exit only once stdout and stderr are flushed: a piped `--json` must never be cut short. */
function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await main(process.argv.slice(2));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
