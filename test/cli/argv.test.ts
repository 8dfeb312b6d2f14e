/**
 * argv → options, as a table, for every command: the real commander program (buildProgram), its
 * actions swapped for a recorder, so nothing is loaded, asked or run. What the black-box tests
 * check end to end, this checks fast and for every flag: names, aliases, defaults, choices,
 * negations, variadic arguments, global options before and after the command, and `--`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

interface Parsed {
  command: string;
  args: unknown[];
  options: Record<string, unknown>;
  globals: Record<string, unknown>;
}

const hasAction = (c: Command): boolean => Boolean((c as unknown as { _actionHandler: unknown })._actionHandler);

const GLOBAL_KEYS = ['json', 'quiet', 'color', 'namespace', 'context'];

/** Parse `argv` with the real program; every action is replaced by a recorder of what it would get. */
async function parse(argv: string[]): Promise<Parsed> {
  const program = buildProgram(argv.includes('--json'));
  let parsed: Parsed | undefined;
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program)) {
    command.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    if (!hasAction(command)) continue;
    command.action((...received: unknown[]) => {
      const self = received.at(-1) as Command;
      const path: string[] = [];
      for (let c: Command | null = self; c && c.parent; c = c.parent) path.unshift(c.name());
      const withGlobals = self.optsWithGlobals();
      parsed = {
        command: path.join(' '),
        args: received.slice(0, -2),
        options: self.opts(),
        globals: Object.fromEntries(GLOBAL_KEYS.filter((k) => withGlobals[k] !== undefined).map((k) => [k, withGlobals[k]])),
      };
    });
  }
  await program.parseAsync(argv, { from: 'user' });
  assert.ok(parsed, `no action ran for ${argv.join(' ')}`);
  return parsed;
}

async function usage(argv: string[]): Promise<string> {
  try {
    await parse(argv);
  } catch (error) {
    assert.ok(error instanceof CommanderError, String(error));
    return error.code;
  }
  assert.fail(`${argv.join(' ')} parsed`);
}

// [argv, command, positional arguments, the command's own options]
const table: Array<[string, string, unknown[], Record<string, unknown>]> = [
  ['create', 'create', [undefined], { shell: true, timeout: '5m' }],
  ['create brave-dolphin --repo https://github.com/me/app.git --runtime local --no-shell --timeout 90s', 'create', ['brave-dolphin'], { repo: 'https://github.com/me/app.git', runtime: 'local', shell: false, timeout: '90s' }],
  ['create fork --from x --snapshot ab12cd --ttl 7d', 'create', ['fork'], { from: 'x', snapshot: 'ab12cd', ttl: '7d', shell: true, timeout: '5m' }],
  ['create --db-template seed --no-shell', 'create', [undefined], { dbTemplate: 'seed', shell: false, timeout: '5m' }],
  ['create --test --runtime kubernetes', 'create', [undefined], { test: true, runtime: 'kubernetes', shell: true, timeout: '5m' }],
  ['list', 'list', [], {}],
  ['ls -o wide', 'list', [], { output: 'wide' }],
  ['list --output=name', 'list', [], { output: 'name' }],
  ['status x -o yaml', 'status', ['x'], { output: 'yaml' }],
  ['status x', 'status', ['x'], {}],
  ['shell x', 'shell', ['x', []], { wake: true }],
  ['shell x --no-wake', 'shell', ['x', []], { wake: false }],
  ['shell x -- psql -c "select 1"', 'shell', ['x', ['psql', '-c', '"select', '1"']], { wake: true }],
  ['shell x -- ls --json -n y', 'shell', ['x', ['ls', '--json', '-n', 'y']], { wake: true }],
  ['delete a b', 'delete', [['a', 'b']], {}],
  ['rm a -y --keep-db --ignore-not-found', 'delete', [['a']], { yes: true, keepDb: true, ignoreNotFound: true }],
  ['delete a --yes --force-db', 'delete', [['a']], { yes: true, forceDb: true }],
  ['rm a --keep-snapshots', 'delete', [['a']], { keepSnapshots: true }],
  ['doctor', 'doctor', [], {}],
  ['sleep a b', 'sleep', [['a', 'b']], {}],
  ['wake a', 'wake', [['a']], { wait: true, timeout: '5m' }],
  ['wake a b --no-wait --timeout 2m', 'wake', [['a', 'b']], { wait: false, timeout: '2m' }],
  ['ssh-config', 'ssh-config', [], {}],
  ['ssh-config --write', 'ssh-config', [], { write: true }],
  ['proxy spark-x', 'proxy', ['spark-x', '22'], { timeout: '5m' }],
  ['proxy spark-x 2222 --timeout 1m', 'proxy', ['spark-x', '2222'], { timeout: '1m' }],
  ['extend x 2h', 'extend', ['x', '2h'], {}],
  ['reap', 'reap', [], {}],
  ['reap --dry-run --force', 'reap', [], { dryRun: true, force: true }],
  ['db snapshot x --label before-migration', 'db snapshot', ['x'], { label: 'before-migration' }],
  ['db snapshots x', 'db snapshots', ['x'], {}],
  ['db restore x ab12cd', 'db restore', ['x', 'ab12cd'], {}],
  ['db reset x', 'db reset', ['x'], {}],
  ['db drop-snapshot x ab12cd', 'db drop-snapshot', ['x', 'ab12cd'], {}],
  ['db template create seed --from x', 'db template create', ['seed'], { from: 'x' }],
  ['db template list', 'db template list', [], {}],
  ['db template drop seed', 'db template drop', ['seed'], {}],
  ['local status', 'local status', [], {}],
  ['local stop', 'local stop', [], {}],
  ['logs x', 'logs', ['x'], {}],
  ['logs x -f --since 10m', 'logs', ['x'], { follow: true, since: '10m' }],
  ['events x', 'events', ['x'], {}],
  ['forward x 3000 8080:80', 'forward', ['x', ['3000', '8080:80']], {}],
  ['config', 'config', [], {}],
  ['admin setup-db --superuser-url postgresql://postgres:pw@db/homelab --isolation role -y', 'admin setup-db', [], { superuserUrl: 'postgresql://postgres:pw@db/homelab', isolation: 'role', yes: true }],
  ['admin setup-db --print-sql --password-stdin', 'admin setup-db', [], { printSql: true, passwordStdin: true }],
  ['admin rotate-password --yes', 'admin rotate-password', [], { yes: true }],
  ['admin repair', 'admin repair', [], {}],
  ['completion zsh', 'completion', ['zsh'], {}],
  ['version --client', 'version', [], { client: true }],
  ['deploy list', 'deploy list', [], {}],
  ['deploy print rbac.yaml', 'deploy print', ['rbac.yaml'], {}],
  ['image build --tag r/spark:1 --push --engine podman', 'image build', [], { tag: 'r/spark:1', push: true, engine: 'podman' }],
];

for (const [argv, command, args, options] of table) {
  test(`spark ${argv}`, async () => {
    const parsed = await parse(argv.split(' '));
    assert.equal(parsed.command, command);
    assert.deepEqual(parsed.args, args);
    assert.deepEqual(parsed.options, options);
  });
}

test('every command with an action is in the table', () => {
  const all = (c: Command, path: string[] = []): string[] =>
    c.commands.flatMap((s) => [...(hasAction(s) ? [[...path, s.name()].join(' ')] : []), ...all(s, [...path, s.name()])]);
  const covered = new Set(table.map(([, command]) => command));
  assert.deepEqual(all(buildProgram()).filter((c) => !covered.has(c)), []);
});

test('global options before or after the command reach it; --json is -o json for the renderer', async () => {
  const before = await parse(['--json', '-q', '--no-color', '-n', 'team-a', '--context', 'home', 'list']);
  assert.deepEqual(before.globals, { json: true, quiet: true, color: false, namespace: 'team-a', context: 'home' });
  const after = await parse(['status', 'x', '--namespace', 'team-b', '--json']);
  assert.deepEqual(after.globals, { json: true, color: true, namespace: 'team-b' });
  assert.deepEqual((await parse(['list'])).globals, { color: true });
});

test('a wrong command line is a usage error before any action: choices, missing and extra arguments, unknown options', async () => {
  assert.equal(await usage(['create', '--runtime', 'docker']), 'commander.invalidArgument');
  assert.equal(await usage(['list', '-o', 'xml']), 'commander.invalidArgument');
  assert.equal(await usage(['completion', 'powershell']), 'commander.invalidArgument');
  assert.equal(await usage(['status']), 'commander.missingArgument');
  assert.equal(await usage(['forward', 'x']), 'commander.missingArgument');
  assert.equal(await usage(['events', 'x', 'y']), 'commander.excessArguments');
  assert.equal(await usage(['delete', 'x', '--purge']), 'commander.unknownOption');
  assert.equal(await usage(['sprak']), 'commander.unknownCommand');
  assert.equal(await usage(['create', '--repo']), 'commander.optionMissingArgument');
});
