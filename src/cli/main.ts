import { Command, CommanderError } from 'commander';
import { SparkError, usageError, type ExitCode } from '../errors.js';
import { jsonText, printable, printableLines } from './printable.js';
import { register as registerAdmin } from './commands/admin.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerCreate } from './commands/create.js';
import { register as registerDb } from './commands/db.js';
import { register as registerImage } from './commands/image.js';
import { register as registerLifecycle } from './commands/lifecycle.js';
import { register as registerObserve } from './commands/observe.js';
import { register as registerExpiry } from './commands/expiry.js';
import { register as registerSleep } from './commands/sleep.js';
import { register as registerCompletion } from './commands/completion.js';
import { register as registerDeploy } from './commands/deploy.js';
import { register as registerVersion } from './commands/version.js';
import { addExamples, commandPath } from './help.js';
import { stderr, stdout } from './terminal.js';

declare const SPARK_VERSION: string;
const version = typeof SPARK_VERSION === 'string' ? SPARK_VERSION : '0.0.0-dev';

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

/** The whole command tree, with no action run yet (tests parse argv with it: test/cli/argv.test.ts). */
export function buildProgram(json = false): Command {
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
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  // Commander's help and errors go through the redacting writers like everything else. With --json,
  // main reports usage errors as JSON on stdout instead of commander's words on stderr.
  program.configureOutput(json ? { writeOut: (text) => stdout.write(text), writeErr: () => {}, outputError: () => {} } : { writeOut: (text) => stdout.write(text), writeErr: (text) => stderr.write(text) });
  registerCreate(program);
  registerLifecycle(program);
  registerObserve(program);
  registerExpiry(program);
  registerSleep(program);
  registerConfig(program);
  registerAdmin(program);
  registerCompletion(program);
  registerVersion(program);
  registerDeploy(program);
  registerImage(program);
  registerDb(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program)) {
    command.exitOverride().showSuggestionAfterError(true);
    addExamples(command);
  }
  return program;
}

/** `--json` or `-o json` before any `--` (words after it belong to the spark's command). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const words = end === -1 ? argv : argv.slice(0, end);
  return words.some((w, i) => w === '--json' || w === '--output=json' || w === '-ojson' || ((w === '-o' || w === '--output') && words[i + 1] === 'json'));
}

/** The deepest command the words name, for the hint of a usage error. */
function commandIn(program: Command, argv: string[]): Command {
  let command = program;
  for (const word of argv) {
    if (word === '--') break;
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) command = sub;
  }
  return command;
}

/**
 * The one place that turns an outcome into output and an exit code: an ExitCode, or the exit code
 * of the program `spark shell` ran (a command that ends without an error may leave one in
 * process.exitCode: failed checks, a shell's own status).
 */
export async function main(argv: string[]): Promise<ExitCode | number> {
  try {
    const program = buildProgram(wantsJson(argv));
    // What the completion scripts call at TAB: answered from the command tree and the name cache.
    if (argv[0] === '__complete') {
      const { completions } = await import('./complete.js');
      const candidates = completions(program, argv.slice(1));
      if (candidates.length) stdout.write(`${candidates.join('\n')}\n`);
      return 0;
    }
    try {
      await program.parseAsync(argv, { from: 'user' });
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      const code = commanderExitCode(error);
      // With --json a usage error is reported as JSON; otherwise commander has said what was wrong on stderr.
      if (code !== 2 || !wantsJson(argv)) return code;
      const path = commandPath(commandIn(program, argv));
      throw usageError(error.code === 'commander.help' ? 'No command given.' : error.message.replace(/^error: /, ''), `Run "spark ${path ? `${path} ` : ''}--help" for usage.`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const sparkError = error instanceof SparkError ? error : new SparkError(`Unexpected error: ${(error as Error)?.stack ?? String(error)}`, { hint: 'This is a bug in spark; please report it with the command you ran.', code: 'INTERNAL' });
    if (wantsJson(argv)) {
      stdout.write(`${jsonText({ error: { code: sparkError.code, message: sparkError.message, hint: sparkError.hint ?? null, exitCode: sparkError.exitCode } })}\n`);
    } else {
      // Ctrl-C is the user's choice, not a failure: said plainly, without "error:". Messages quote
      // servers and other programs: shown on one line, so nothing can forge a fix: line.
      const message = sparkError.code === 'INTERNAL' ? printableLines(sparkError.message) : printable(sparkError.message);
      stderr.write(sparkError.code === 'INTERRUPTED' ? `${message}\n` : `error: ${message}\n`);
      if (sparkError.hint) stderr.write(`fix: ${printableLines(sparkError.hint).split('\n').join('\n     ')}\n`);
    }
    // 1 failure, 2 usage, 130 interrupted: carried by the error (errors.ts).
    return sparkError.exitCode;
  }
}

/** --help, --version and `spark help [COMMAND]` succeed; a wrong command line (and bare `spark`) is a usage error. */
function commanderExitCode(error: CommanderError): ExitCode {
  if (error.exitCode === 0) return 0;
  return USAGE_CODES.has(error.code) ? 2 : 1;
}

/** Exit only once stdout and stderr are flushed: a piped `--json` must never be cut short. */
function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** The process: run the command, then exit here and nowhere else (src/cli/entry.ts calls this). */
export async function run(argv: string[]): Promise<never> {
  const code = await main(argv);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
