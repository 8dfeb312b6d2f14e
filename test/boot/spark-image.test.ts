/**
 * A spark booted for real from the spark image (deploy/image/setup.sh applied to a bookworm root
 * fs), from the objects spark's own manifest functions make, logged in to with the real `ssh`.
 * Its database is made by spark's own provisioner as the spark role on the real test PostgreSQL,
 * reached from inside through a relay on the host end of the spark's veth.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SparkSpec } from '../../src/core/ports.js';
import { openSparkDatabases, type SparkDatabases } from '../../src/database/sparks.js';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { bootSpark, makeKeyPair, type BootedSpark } from '../support/boot/boot.js';
import { makeRepo, startGitServer, startGithubStandIn } from '../support/boot/git-server.js';
import { SparkNetwork } from '../support/boot/network.js';
import { ensureRootfs } from '../support/boot/rootfs.js';
import { ssh, waitForLogin, type SshTarget } from '../support/boot/ssh.js';
import { makeRole, testServers, unique } from '../support/postgres.js';

const TOKEN = 'gho_boottest_token_1234';
const API_KEY = 'test-anthropic-key-boot';

let work: string;
let network: SparkNetwork;
let databases: SparkDatabases;
let spark: BootedSpark;
let target: SshTarget;
let spec: SparkSpec;
let home: string;
const closers: Array<() => Promise<void>> = [];

const run = async (command: string, options: string[] = []) => {
  const r = await ssh(target, command, options);
  assert.equal(r.code, 0, `ssh ${command} failed (${r.code}): ${r.stderr}\n--- spark log:\n${spark.output}`);
  return r.stdout;
};

function boot(): BootedSpark {
  return bootSpark({
    variant: 'spark-image',
    manifests: sparkManifests(spec, DEFAULT_MANIFEST_OPTIONS),
    network,
    home,
    env: { https_proxy: `http://${network.hostAddress}:${githubPort}` },
    trust: githubCa,
  });
}
let githubPort: number;
let githubCa: string;

before(async () => {
  ensureRootfs('spark-image');
  work = mkdtempSync(join(tmpdir(), 'spark-boot-image-'));
  home = join(work, 'home');
  mkdirSync(home);
  network = SparkNetwork.create();
  const server = testServers().find((s) => s.major >= 16)!;
  await network.relay({ host: server.host, port: server.port }, server.port);
  // A spark role of its own (made by setup-db's code), isolation "role": rotation tests elsewhere
  // count the spark role's shared-password sparks, and this one lives for minutes.
  const role = await makeRole(server, { prefix: 'spark_boot', isolation: 'role' });
  databases = openSparkDatabases({ ...role, sparkHost: network.hostAddress });
  const name = unique('boot');
  const createdAt = new Date().toISOString();
  const database = await databases.provision(name, { createdAt });

  const repos = join(work, 'repos');
  makeRepo(repos, 'dotfiles', { 'install.sh': 'printf "%s %s %s\\n" "$(id -un)" "$HOME" "$PWD" > "$HOME/.dotfiles-ran"\n' });
  makeRepo(join(work, 'github', 'acme'), 'private', { 'README.md': 'private project\n' });
  const git = await startGitServer(network.hostAddress, repos);
  closers.push(git.close);
  const github = await startGithubStandIn(network.hostAddress, join(work, 'github'), TOKEN);
  closers.push(github.close);
  githubPort = github.port;
  githubCa = github.ca;

  const keys = makeKeyPair(work);
  target = { address: network.sparkAddress, privateKey: keys.privateKey, knownHosts: join(work, 'known_hosts') };
  spec = {
    name,
    databaseName: database.databaseName,
    databaseUrl: database.databaseUrl,
    isolation: 'role',
    createdAt,
    creator: 'boot-test',
    sshPublicKey: keys.publicKey,
    anthropicApiKey: API_KEY,
    githubToken: TOKEN,
    repo: 'https://github.com/acme/private.git',
    dotfilesRepo: `http://${network.hostAddress}:${git.port}/dotfiles.git`,
  };
  spark = boot();
  await waitForLogin(spark, target, 60_000);
});

after(async () => {
  await spark?.stop();
  for (const close of closers) await close();
  if (spec) await databases.drop(spec.name).catch(() => {});
  await databases?.close();
  await network?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a key login as user, with the spark\'s hostname', async () => {
  assert.equal(await run('whoami; hostname'), `user\n${spec.name}\n`);
});

test('DATABASE_URL, SPARK_NAME, ANTHROPIC_API_KEY, GITHUB_TOKEN in plain ssh commands and login shells, from mode-600 files', async () => {
  const expected = `${spec.databaseUrl}\n${spec.name}\n${API_KEY}\n${TOKEN}\n`;
  const print = `printf '%s\\n' "$DATABASE_URL" "$SPARK_NAME" "$ANTHROPIC_API_KEY" "$GITHUB_TOKEN"`;
  assert.equal(await run(print), expected);
  assert.equal(await run(`bash -lc '${print.replace(/'/g, "'\\''")}'`), expected);
  assert.equal(await run('stat -c "%a %U %n" ~/.ssh/environment ~/.spark/env'), '600 user /home/user/.ssh/environment\n600 user /home/user/.spark/env\n');
});

test("psql \"$DATABASE_URL\" reaches the real PostgreSQL and names the spark's database", async () => {
  assert.equal(await run(`psql "$DATABASE_URL" -Atc 'select current_database()'`), `${spec.databaseName}\n`);
});

test('the private GitHub repo is cloned into /home/user/project with the token, which stays out of .git/config', async () => {
  await spark.waitForLog(/spark-step: repo done/, 60_000);
  assert.equal(await run('cat /home/user/project/README.md; stat -c %U /home/user/project/README.md'), 'private project\nuser\n');
  const config = await run('cat /home/user/project/.git/config');
  assert.match(config, /url = https:\/\/github.com\/acme\/private.git/);
  assert.doesNotMatch(config, new RegExp(TOKEN));
});

test("SPARK_DOTFILES_REPO's install.sh ran as user in ~/.dotfiles", async () => {
  await spark.waitForLog(/spark-step: dotfiles done/, 60_000);
  assert.equal(await run('cat ~/.dotfiles-ran'), 'user /home/user /home/user/.dotfiles\n');
});

test("gh's stored credentials hold the token and git uses gh for github.com", async () => {
  await spark.waitForLog(/spark-step: gh done/, 60_000);
  assert.equal(await run('env -u GITHUB_TOKEN gh auth token'), `${TOKEN}\n`);
  assert.match(await run('git config --global --get-all credential.https://github.com.helper'), /gh auth git-credential/);
});

test('claude --version works; sudo needs no password; the image release is recorded', async () => {
  assert.match(await run('claude --version'), /Claude Code/);
  assert.equal(await run('sudo -n id -u'), '0\n');
  assert.match(await run('cat /etc/spark-image-release'), /^SPARK_IMAGE_VERSION=\d+\.\d+\.\d+/);
});

test('root login and password login are refused', async () => {
  const root = await ssh({ ...target, user: 'root' }, 'true');
  assert.notEqual(root.code, 0);
  assert.match(root.stderr, /Permission denied/);
  const password = await ssh(target, 'true', ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive']);
  assert.notEqual(password.code, 0);
  // The server offers nothing but keys.
  assert.match(password.stderr, /Permission denied \(publickey\)/);
});

test('the progress file records every step as done once setup finished', async () => {
  await spark.waitForLog(/spark-step: setup finished \(0 failed\)/, 60_000);
  const progress = await run('cat /run/spark/progress');
  for (const step of ['gh', 'repo', 'dotfiles']) assert.match(progress, new RegExp(`^done +${step} +\\d+s$`, 'm'));
  assert.equal(await run('cat /etc/motd'), '', 'no MOTD once setup succeeded');
});

describe('a restart on the same home volume', () => {
  test('keeps the host keys and the clone, and rewrites authorized_keys', async () => {
    await run('echo mine > /home/user/project/work-in-progress.txt');
    await spark.stop();
    // The ConfigMap now holds another key: the old one must stop working.
    const oldKey = target.privateKey;
    const dir = join(work, 'key2');
    mkdirSync(dir);
    const keys = makeKeyPair(dir);
    spec = { ...spec, sshPublicKey: keys.publicKey };
    target = { ...target, privateKey: keys.privateKey };
    spark = boot();
    // Same known_hosts with accept-new: a changed host key would be refused.
    await waitForLogin(spark, target, 60_000);
    assert.equal(await run('cat /home/user/project/work-in-progress.txt'), 'mine\n');
    assert.doesNotMatch(spark.output, /spark-step: repo/, 'the clone is kept, not redone');
    const old = await ssh({ ...target, privateKey: oldKey }, 'true');
    assert.notEqual(old.code, 0, 'the key removed from the ConfigMap no longer logs in');
    assert.doesNotMatch(old.stderr, /HOST IDENTIFICATION HAS CHANGED/);
  });
});
