/**
 * The habits of gh and kubectl, through the built `spark`: every --help has examples and the global
 * flags, `spark help [COMMAND]` succeeds, `spark version` reports the servers it can reach, and with
 * --json every failure (usage errors included) is one JSON document on stdout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { sparkEnv, superuserClient, testServers } from '../support/postgres.js';
import { runSpark } from '../support/cli.js';
import { freePort } from '../../src/database/server.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const home = mkdtempSync(join(tmpdir(), 'spark-conventions-'));
const base = { HOME: home, SPARK_CONFIG: join(home, 'none.json'), KUBECONFIG: join(home, 'no-kube'), SPARK_DATA_DIR: join(home, 'data') };
let cluster: FakeCluster;
// Accepts connections and never answers: a server that is "up" but hangs.
let silent: Server;
const sockets: Socket[] = [];

before(async () => {
  cluster = await startFakeCluster();
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await cluster.stop();
  for (const socket of sockets) socket.destroy();
  silent.close();
  // A local command below starts the embedded PostgreSQL on demand: stop it and remove its data.
  await runSpark(['local', 'stop'], { env: { ...base, SPARK_RUNTIME: 'local' } });
  rmSync(home, { recursive: true, force: true });
});

/** Every command path, read from the help screens themselves (so a new command cannot be missed). */
async function commandPaths(path: string[] = []): Promise<string[][]> {
  const help = await runSpark([...path, '--help'], { env: base });
  const section = /\nCommands:\n([\s\S]*?)\n\n/.exec(help.stdout)?.[1] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  const nested = await Promise.all(names.map((n) => commandPaths([...path, n])));
  return [path, ...nested.flat()];
}

test('every command\'s --help has an Examples section and shows the global flags', async () => {
  const paths = await commandPaths();
  for (const expected of [['list'], ['status'], ['completion'], ['version'], ['deploy', 'print'], ['admin', 'setup-db'], ['local', 'stop']]) {
    assert.ok(paths.some((p) => p.join(' ') === expected.join(' ')), `spark ${expected.join(' ')} found in help`);
  }
  for (const path of paths) {
    const help = await runSpark([...path, '--help'], { env: base });
    const label = `spark ${path.join(' ')} --help`;
    assert.equal(help.code, 0, label);
    const examples = /\nExamples:\n((?: {2}.*\n)+)/.exec(help.stdout)?.[1];
    assert.ok(examples, `${label} has examples:\n${help.stdout}`);
    for (const example of examples.trimEnd().split('\n')) assert.match(example, /^ {2}(\S+=\S+ )?(source <\()?spark /, `${label}: ${example}`);
    const globals = path.length ? /\nGlobal Options:\n([\s\S]*?)\n\n/.exec(help.stdout)?.[1] : help.stdout;
    for (const flag of ['--json', '--quiet', '--no-color', '--namespace', '--context']) assert.ok(globals?.includes(flag), `${label} shows ${flag}`);
  }
});

test('spark help [COMMAND] exits 0 with the command\'s help; bare spark is a usage error', async () => {
  const help = await runSpark(['help'], { env: base });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: spark /);
  const list = await runSpark(['help', 'list'], { env: base });
  assert.equal(list.code, 0);
  assert.equal(list.stdout, (await runSpark(['list', '--help'], { env: base })).stdout);
  assert.equal((await runSpark(['help', 'admin', 'setup-db'], { env: base })).code, 0);
  assert.equal((await runSpark([], { env: base })).code, 2);
});

test('spark version: the client, Node.js, and the Kubernetes and PostgreSQL versions when reachable', async () => {
  const server = testServers()[0]!;
  const kubeconfig = cluster.writeKubeconfig(join(home, 'fake-kubeconfig'));
  const env = { ...base, ...sparkEnv(server), KUBECONFIG: kubeconfig };
  const db = await superuserClient(server);
  const postgres = (await db.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
  await db.end();

  const result = await runSpark(['version', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    clientVersion: { spark: pkg.version, node: process.version, platform: `${process.platform}/${process.arch}` },
    serverVersion: { kubernetes: 'v1.32.0-fake', postgres },
    unavailable: [],
  });
  const human = await runSpark(['version'], { env });
  assert.equal(human.code, 0);
  assert.equal(human.stdout, `Client Version: ${pkg.version}\nNode.js Version: ${process.version} (${process.platform}/${process.arch})\nKubernetes Server Version: v1.32.0-fake\nPostgreSQL Server Version: ${postgres}\n`);

  const asked = cluster.requests.length;
  const client = await runSpark(['version', '--client', '--json'], { env });
  assert.deepEqual(JSON.parse(client.stdout).serverVersion, { kubernetes: null, postgres: null });
  assert.equal(cluster.requests.length, asked, '--client asks no server');
});

test('spark version never fails because a server is down or hangs', async () => {
  const closed = await freePort();
  for (const port of [closed, (silent.address() as { port: number }).port]) {
    const kubeconfig = join(home, `kubeconfig-${port}`);
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: fake-token-value}}]\n`);
    const env = { ...base, KUBECONFIG: kubeconfig, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port), POSTGRES_PASSWORD: 'not-a-real-password' };
    const result = await runSpark(['version', '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const versions = JSON.parse(result.stdout) as { serverVersion: Record<string, string | null>; unavailable: Array<{ part: string; reason: string }> };
    assert.deepEqual(versions.serverVersion, { kubernetes: null, postgres: null });
    assert.deepEqual(versions.unavailable.map((u) => u.part).sort(), ['kubernetes', 'postgres']);
    const human = await runSpark(['version'], { env });
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^Kubernetes Server Version: unavailable \(.+\)$/m);
    assert.match(human.stdout, /^PostgreSQL Server Version: unavailable \(.+\)$/m);
  }
});

/** argv → the JSON error on stdout (exit 2, nothing on stderr). */
const usageErrors: Array<{ argv: string[]; message: RegExp; hint?: RegExp }> = [
  { argv: ['--json'], message: /No command given/, hint: /spark --help/ },
  { argv: ['frobnicate', '--json'], message: /unknown command 'frobnicate'/ },
  { argv: ['list', '--frob', '--json'], message: /unknown option '--frob'/, hint: /spark list --help/ },
  { argv: ['--json', 'status'], message: /missing required argument 'name'/, hint: /spark status --help/ },
  { argv: ['list', '-o', 'xml', '--json'], message: /Allowed choices are json, yaml, wide, name/ },
  { argv: ['list', '-o', 'json', '--frob'], message: /unknown option '--frob'/ },
  { argv: ['completion', 'tcsh', '--json'], message: /Allowed choices are bash, zsh, fish/ },
  { argv: ['create', 'Bad_Name', '--json'], message: /Invalid spark name "Bad_Name"/ },
  { argv: ['delete', 'alpha', '--json'], message: /Refusing to delete without confirmation/, hint: /--yes/ },
  { argv: ['deploy', 'print', 'nope.yaml', '--json'], message: /No setup file named "nope.yaml"/, hint: /rbac\.yaml/ },
  { argv: ['admin', 'rotate-password', 'extra', '--json'], message: /too many arguments/ },
];

for (const { argv, message, hint } of usageErrors) {
  test(`spark ${argv.join(' ')}: a usage error as JSON on stdout, exit 2`, async () => {
    const result = await runSpark(argv, { env: base });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.equal(result.stderr, '');
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string; hint: string | null; exitCode: number } };
    assert.equal(error.code, 'USAGE');
    assert.equal(error.exitCode, 2);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /^error:/);
    if (hint) assert.match(error.hint ?? '', hint);
  });
}

test('words after -- are the spark\'s command: a --json there does not make spark answer in JSON', async () => {
  const result = await runSpark(['shell', 'nosuch', '--', 'grep', '--json'], { env: { ...base, SPARK_RUNTIME: 'local' } });
  assert.notEqual(result.code, 0);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^error: /m);
});
