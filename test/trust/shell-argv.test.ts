/**
 * `spark shell NAME -- CMD ARGS…` runs exactly that argv, on both runtimes. Kubernetes: the real
 * `ssh` client to a real `sshd` on loopback, whose login shell (bash, as in sparks) parses the
 * remote command line: quoting is proven by the shell that undoes it. sshd runs in a mount
 * namespace of its own where /etc/passwd also has the spark's user `user`, so this machine's
 * users stay as they are. The spark itself is made by `spark create` on the fake API server.
 * Local: a spark made by `spark create --runtime local`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/database/server.js';
import { capture } from '../support/capture.js';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { runSpark } from '../support/cli.js';
import { sparkEnv, testServers, unique, type TestServer } from '../support/postgres.js';
import { sparkInTerminal } from '../support/terminal.js';
import { tempData, type TempData } from '../local/helpers.js';

const server: TestServer = testServers()[0]!;
let cluster: FakeCluster;
let sshd: ChildProcess;
let dir: string;
let env: Record<string, string>;
let local: TempData;
let localEnv: Record<string, string>;
const kubeSpark = unique('argv');
const localSpark = unique('argv-local');

/** A real sshd on 127.0.0.1 that lets `user` in with the key at `<dir>/client_key`. */
async function startSshd(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  for (const key of ['host_key', 'client_key']) {
    const made = await capture('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
    assert.equal(made.code, 0, made.stderr);
  }
  copyFileSync(join(dir, 'client_key.pub'), join(dir, 'authorized_keys'));
  mkdirSync(join(dir, 'home'));
  copyFileSync('/etc/passwd', join(dir, 'passwd'));
  // uid 0: sshd can then switch to the user without owning its files; the name is what counts.
  appendFileSync(join(dir, 'passwd'), `user:x:0:0:spark user:${join(dir, 'home')}:/bin/bash\n`);
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'AllowUsers user', 'PrintMotd no', 'PrintLastLog no', 'LogLevel ERROR', '',
  ].join('\n'));
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /etc/passwd && exec /usr/sbin/sshd -D -e -f "$2"', 'sh', join(dir, 'passwd'), join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`sshd did not start on port ${port}: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, child };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spark-shell-argv-'));
  const started = await startSshd(dir);
  sshd = started.child;
  // The user's ssh config sends spark-* to the loopback sshd (as a tailnet name would resolve).
  writeFileSync(join(dir, 'ssh_config'), [
    'Host spark-*', '  HostName 127.0.0.1', `  Port ${started.port}`, `  IdentityFile ${join(dir, 'client_key')}`, '  IdentitiesOnly yes',
    '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  GlobalKnownHostsFile /dev/null', '  BatchMode yes', '  LogLevel ERROR', '',
  ].join('\n'));
  cluster = await startFakeCluster();
  env = {
    ...sparkEnv(server),
    HOME: dir,
    SPARK_CONFIG: join(dir, 'config.json'),
    KUBECONFIG: cluster.writeKubeconfig(join(dir, 'kubeconfig')),
    SSH_PUBLIC_KEY_PATH: join(dir, 'client_key.pub'),
    ANTHROPIC_API_KEY: 'not-a-real-key',
    SPARK_SSH: `ssh -F ${join(dir, 'ssh_config')}`,
  };
  const created = await runSpark(['create', kubeSpark, '--no-shell'], { env });
  assert.equal(created.code, 0, created.stderr);

  local = tempData();
  localEnv = { HOME: local.base, SPARK_CONFIG: join(local.base, 'config.json'), SPARK_DATA_DIR: local.dataDir, SPARK_RUNTIME: 'local', ANTHROPIC_API_KEY: 'not-a-real-key' };
  const made = await runSpark(['create', localSpark, '--no-shell'], { env: localEnv, timeoutMs: 120_000 });
  assert.equal(made.code, 0, made.stderr);
});

after(async () => {
  await runSpark(['delete', kubeSpark, '--yes'], { env });
  await runSpark(['delete', localSpark, '--yes'], { env: localEnv });
  await local?.cleanup();
  sshd?.kill();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Words a remote shell would otherwise split, expand or glob.
const WORDS = ['a b', "it's", '$HOME', '*', '', '"q"', 'x;y', '-n'];

for (const runtime of ['kubernetes', 'local'] as const) {
  const spark = (): [string, Record<string, string>] => (runtime === 'kubernetes' ? [kubeSpark, env] : [localSpark, localEnv]);

  test(`${runtime}: shell NAME -- sh -c 'echo "a b"; exit 3' prints a b and exits 3`, async () => {
    const [name, e] = spark();
    const result = await runSpark(['shell', name, '--', 'sh', '-c', 'echo "a b"; exit 3'], { env: e });
    assert.equal(result.stdout, 'a b\n', result.stderr);
    assert.equal(result.code, 3);
  });

  test(`${runtime}: every word arrives as it was given`, async () => {
    const [name, e] = spark();
    const result = await runSpark(['shell', name, '--', 'printf', '[%s]', ...WORDS], { env: e });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, WORDS.map((w) => `[${w}]`).join(''));
  });

  test(`${runtime}: one word with spaces is a command line, run by a shell`, async () => {
    const [name, e] = spark();
    const result = await runSpark(['shell', name, '--', 'echo one; echo "two  words"'], { env: e });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'one\ntwo  words\n');
  });
}

test('kubernetes: the command gets a terminal (ssh -t) when stdin is one, and none when it is not', async () => {
  const piped = await runSpark(['shell', kubeSpark, '--', 'tty'], { env });
  assert.equal(piped.stdout.trim(), 'not a tty');
  assert.equal(piped.code, 1);
  const terminal = await sparkInTerminal(['shell', kubeSpark, '--', 'tty'], env);
  try {
    assert.equal(await terminal.exitCode(), 0, await terminal.screen());
    assert.match(await terminal.screen(), /^\/dev\/pts\/\d+/m);
  } finally {
    await terminal.close();
  }
});

test('local: a command that does not exist exits 127 with "command not found", no SSH advice', async () => {
  const result = await runSpark(['shell', localSpark, '--', 'no-such-command-xyz', '--flag'], { env: localEnv });
  assert.equal(result.code, 127, result.stderr);
  assert.match(result.stderr, /no-such-command-xyz: command not found/);
  assert.doesNotMatch(result.stderr, /ssh|SPARK_SSH|error:/i);
});
