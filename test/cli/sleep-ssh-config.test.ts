/**
 * sleep, wake, ssh-config and proxy without a cluster: the ssh config spark writes (read back by the
 * real `ssh -G`), its --write idempotence in a temp HOME, the argument grammar, and the refusals of
 * a runtime that cannot sleep. On the real control plane: test/k8s/sleep.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withInclude } from '../../src/cli/actions/ssh-config.js';
import { parsePort, sparkNameFromHost } from '../../src/core/proxy.js';
import { storedActivity } from '../../src/runtimes/kubernetes/sleep.js';
import { SPARK_BIN, runSpark } from '../support/cli.js';

const home = (): string => mkdtempSync(join(tmpdir(), 'spark-ssh-config-'));
/** What the real ssh makes of a config for a host (`ssh -G`: the options, resolved, nothing connected). */
const sshG = (config: string, host: string): Map<string, string> =>
  new Map(
    execFileSync('ssh', ['-F', config, '-G', host], { encoding: 'utf8' })
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as [string, string]),
  );

test('spark ssh-config prints a Host spark-* block whose ProxyCommand runs this spark (absolute paths), as ssh reads it', async () => {
  const r = await runSpark(['ssh-config'], { env: { HOME: home() } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Host spark-\*$/m);
  assert.doesNotMatch(r.stdout, /StrictHostKeyChecking/i);
  const file = join(home(), 'printed');
  writeFileSync(file, r.stdout);
  const options = sshG(file, 'spark-brave-dolphin');
  assert.equal(options.get('user'), 'user');
  assert.equal(options.get('proxycommand'), `'${process.execPath}' '${SPARK_BIN}' proxy %n %p`);
  assert.equal(options.get('serveraliveinterval'), '30');
  // The tailnet's full name is a spark's too.
  assert.equal(sshG(file, 'spark-brave-dolphin.tail1234.ts.net').get('user'), 'user');
  assert.notEqual(sshG(file, 'example.com').get('user'), 'user');
  const json = JSON.parse((await runSpark(['ssh-config', '--json'], { env: { HOME: home() } })).stdout) as { config: string; file: null };
  assert.equal(json.config, r.stdout);
  assert.equal(json.file, null);
});

test('spark ssh-config --write: a private file Included at the top of ~/.ssh/config, once, whatever was there', async () => {
  const h = home();
  const env = { HOME: h };
  const first = await runSpark(['ssh-config', '--write'], { env });
  assert.equal(first.code, 0, first.stderr);
  const file = join(h, '.ssh', 'spark_config');
  const config = join(h, '.ssh', 'config');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.equal(statSync(join(h, '.ssh')).mode & 0o777, 0o700);
  assert.match(readFileSync(config, 'utf8'), new RegExp(`^(#.*\\n)*Include ${file}\\n`));
  assert.match(first.stdout, /Added "Include/);
  // The user's ssh, with the user's config: spark-NAME goes through spark proxy.
  assert.match(sshG(config, 'spark-wise-falcon').get('proxycommand') ?? '', / proxy %n %p$/);

  const again = await runSpark(['ssh-config', '--write', '--json'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { included: string }).included, 'already');
  assert.equal(readFileSync(config, 'utf8').split('\n').filter((l) => l.startsWith('Include')).length, 1);

  // A config with Host blocks (and our line misplaced inside one, where it would be scoped): moved to the top, the rest kept.
  const mine = `Host github.com\n  User git\n  Include ${file}\n\nHost *\n  IdentityFile ~/.ssh/id_ed25519\n`;
  writeFileSync(config, mine);
  chmodSync(config, 0o640);
  const moved = await runSpark(['ssh-config', '--write'], { env });
  assert.equal(moved.code, 0, moved.stderr);
  const text = readFileSync(config, 'utf8');
  assert.ok(text.indexOf(`Include ${file}`) < text.indexOf('Host github.com'), text);
  assert.equal(text.split(`Include ${file}`).length, 2, text);
  assert.match(text, /Host github\.com\n {2}User git\n\nHost \*\n {2}IdentityFile ~\/\.ssh\/id_ed25519\n$/);
  assert.equal(statSync(config).mode & 0o777, 0o640, 'an existing config keeps its mode');
  assert.equal(sshG(config, 'spark-x').get('user'), 'user');
  assert.equal(sshG(config, 'github.com').get('user'), 'git');
});

test('withInclude leaves a config that already includes the file first untouched; a quoted path counts', () => {
  const file = '/home/me/.ssh/spark_config';
  const ok = `Include ${file}\nHost a\n  User b\n`;
  assert.deepEqual(withInclude(ok, file), { text: ok, changed: false });
  const quoted = `Include "${file}"\n`;
  assert.equal(withInclude(quoted, file).changed, false);
  assert.match(withInclude('', file).text, /^# .*\nInclude \/home\/me\/\.ssh\/spark_config\n$/);
  assert.match(withInclude('', '/home/my self/.ssh/spark_config').text, /Include "\/home\/my self\/\.ssh\/spark_config"/);
});

test('proxy: the spark name from what ssh passes as %n; ports 1–65535', () => {
  assert.equal(sparkNameFromHost('spark-brave-dolphin'), 'brave-dolphin');
  assert.equal(sparkNameFromHost('spark-brave-dolphin.tail1234.ts.net'), 'brave-dolphin');
  assert.equal(sparkNameFromHost('brave-dolphin'), 'brave-dolphin');
  assert.equal(sparkNameFromHost('spark-spark-x'), 'spark-x');
  assert.equal(parsePort('22'), 22);
  for (const bad of ['0', '65536', 'ssh', '']) assert.throws(() => parsePort(bad), (e: { exitCode: number }) => e.exitCode === 2, bad);
});

test('the stored activity of a sleeper is read back only when well-formed', () => {
  const report = { reportedAt: '2026-12-07T10:00:00.000Z', openSessions: 0, unsavedWork: true, unsavedDetail: '1 unpushed commit' };
  assert.deepEqual(storedActivity({ 'spark.dev/last-activity': JSON.stringify(report) }), report);
  assert.equal(storedActivity({ 'spark.dev/last-activity': '{"openSessions":' }), undefined);
  assert.equal(storedActivity({}), undefined);
});

test('bad input: invalid names and ports are usage errors (exit 2); names that exist nowhere exit 1', async () => {
  const h = home();
  const env = { HOME: h, KUBECONFIG: join(h, 'none'), SPARK_CONFIG: join(h, 'none.json'), SPARK_DATA_DIR: join(h, 'data') };
  for (const args of [['sleep', 'Bad_Name'], ['wake', 'Bad_Name'], ['proxy', 'spark-x', 'ssh'], ['proxy', 'spark-Bad_Name']]) {
    const r = await runSpark(args, { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  for (const args of [['sleep', 'no-such-spark'], ['wake', 'no-such-spark'], ['wake', 'no-such-spark', '--no-wait']]) {
    const r = await runSpark(args, { env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /error: No spark named "no-such-spark"/);
  }
  const json = await runSpark(['sleep', 'no-such-spark', '--json'], { env });
  assert.equal(json.code, 1);
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'NOT_FOUND');
});

test('the local runtime cannot sleep: said plainly, exit 1', async () => {
  const h = home();
  mkdirSync(join(h, 'data'));
  const env = { HOME: h, KUBECONFIG: join(h, 'none'), SPARK_CONFIG: join(h, 'none.json'), SPARK_DATA_DIR: join(h, 'data'), SPARK_RUNTIME: 'local' };
  for (const verb of ['sleep', 'wake']) {
    const r = await runSpark([verb, 'scratch'], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: The local runtime cannot put sparks to sleep or wake them\./);
    assert.match(r.stderr, /fix: /);
  }
});
