/**
 * Issue 11, items 8, 9 and 11 (and the API-key warning): every setting, flag and key file is
 * checked before any SQL or API call, and a bad one is a usage error (exit 2) that names it, says
 * what is wrong and how to fix it — without quoting secrets or file contents. The built `spark`
 * against the fake cluster (it logs every request, so "nothing was asked" can be proven) and a real
 * PostgreSQL server (so "nothing was made" can be proven).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { type TestServer, databaseOn, sparkEnv, testServers, unique } from '../support/postgres.js';
import { runSpark } from '../support/cli.js';
import { configMapName } from '../../src/runtimes/kubernetes/labels.js';

const server: TestServer = testServers()[0]!;
let cluster: FakeCluster;
let home: string;
let env: Record<string, string>;
const KINDS = ['deployments', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets'];

/** A well-formed OpenSSH public key line (a random ed25519 point; its private half never existed). */
function publicKeyLine(comment = 'test@spark'): string {
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(randomBytes(32))]).toString('base64')} ${comment}`;
}

function keyFile(name: string, content: string): string {
  const path = join(home, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

before(async () => {
  cluster = await startFakeCluster();
  home = mkdtempSync(join(tmpdir(), 'spark-trust-inputs-'));
  env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: cluster.writeKubeconfig(join(home, 'kubeconfig')),
    SSH_PUBLIC_KEY_PATH: keyFile('id_ed25519.pub', `${publicKeyLine()}\n`),
    ANTHROPIC_API_KEY: 'sk-ant-fake.TRUST-INPUTS.KEY',
  };
});

after(async () => {
  await cluster.stop();
});

const databaseExists = (name: string): Promise<boolean> => databaseOn(server, name);

const objectsOf = (name: string): string[] =>
  KINDS.flatMap((kind) => cluster.list(kind, 'spark').filter((o) => o.metadata?.labels?.['spark-name'] === name).map((o) => `${kind}/${o.metadata?.name}`));

const configData = (name: string): Record<string, string> => (cluster.get('configmaps', 'spark', configMapName(name)) as { data?: Record<string, string> } | undefined)?.data ?? {};

/** `spark create NAME` that must be refused as a usage error before the cluster or the database is asked. */
async function assertRefusedBeforeAnything(args: string[], extraEnv: Record<string, string>, expected: RegExp, asked: 'nothing' | 'reads only' = 'nothing'): Promise<string> {
  const name = unique('refused');
  const requestsBefore = cluster.requests.length;
  const result = await runSpark(['create', name, '--no-shell', ...args], { env: { ...env, ...extraEnv } });
  assert.equal(result.code, 2, `exit 2 expected for ${JSON.stringify({ args, extraEnv })}\n${result.stderr}`);
  assert.match(result.stderr, expected);
  assert.match(result.stderr, /^fix: /m, 'the fix is printed');
  assert.doesNotMatch(result.stderr, /Unexpected error|    at /, 'no stack trace');
  const requests = cluster.requests.slice(requestsBefore).filter((r) => asked === 'nothing' || r.method !== 'GET');
  assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), [], 'the cluster was asked');
  assert.deepEqual(objectsOf(name), []);
  assert.equal(await databaseExists(name), false, 'a database was made');
  return result.stderr;
}

// ---- item 8: SSH_PUBLIC_KEY_PATH holds public key lines only ----

test('create refuses a private key at SSH_PUBLIC_KEY_PATH before anything is made, and never prints it', async () => {
  const { privateKey } = generateKeyPairSync('ed25519', { privateKeyEncoding: { format: 'pem', type: 'pkcs8' }, publicKeyEncoding: { format: 'pem', type: 'spki' } });
  const body = privateKey.split('\n')[1]!;
  const path = keyFile('id_ed25519', privateKey);
  const stderr = await assertRefusedBeforeAnything([], { SSH_PUBLIC_KEY_PATH: path }, /SSH_PUBLIC_KEY_PATH=.*id_ed25519 is not an OpenSSH public key: it holds a private key/, 'reads only');
  assert.match(stderr, /fix: Point SSH_PUBLIC_KEY_PATH at the public half \(.*id_ed25519\.pub\)/);
  assert.ok(!stderr.includes(body.slice(0, 16)), 'the private key was printed');
  // The OpenSSH format too (built here so no scanner mistakes this file for a leaked key).
  const openssh = ['-----BEGIN OPENSSH', 'PRIVATE KEY-----'].join(' ') + `\n${randomBytes(120).toString('base64')}\n` + ['-----END OPENSSH', 'PRIVATE KEY-----'].join(' ') + '\n';
  await assertRefusedBeforeAnything([], { SSH_PUBLIC_KEY_PATH: keyFile('id_openssh', openssh) }, /it holds a private key/, 'reads only');
});

const badKeys: Array<[string, string, RegExp]> = [
  ['an empty file', '', /it holds no key/],
  ['only comments and blank lines', '# my key\n\n', /it holds no key/],
  ['garbage', 'hunter2-NOT-A-KEY\n', /line 1 does not start with a key type/],
  ['options before the key', `command="/bin/evil" ${publicKeyLine()}\n`, /line 1 starts with options \(such as command= or from=\)/],
  ['a key type whose data is another type', `ssh-rsa ${publicKeyLine().split(' ')[1]} me\n`, /line 1: the key data is not a ssh-rsa key/],
  ['data that is not base64', 'ssh-ed25519 AAAA!!!! me\n', /line 1: the key data after ssh-ed25519 is not base64/],
  ['a bad second line', `${publicKeyLine()}\nssh-ed25519\n`, /line 2: the key data after ssh-ed25519 is not base64/],
];
for (const [what, content, expected] of badKeys) {
  test(`create refuses a key file with ${what} (exit 2, nothing made, content not quoted)`, async () => {
    const stderr = await assertRefusedBeforeAnything([], { SSH_PUBLIC_KEY_PATH: keyFile(`key-${what.replace(/\W+/g, '-')}`, content) }, expected, 'reads only');
    assert.ok(!stderr.includes('hunter2') && !stderr.includes('/bin/evil'), `content quoted:\n${stderr}`);
  });
}

test('a valid key file (comments, blank lines, two keys) is written to the ConfigMap as its key lines only', async () => {
  const [one, two] = [publicKeyLine('alice@laptop'), publicKeyLine('alice@phone')];
  const name = unique('keys');
  const result = await runSpark(['create', name, '--no-shell'], { env: { ...env, SSH_PUBLIC_KEY_PATH: keyFile('two.pub', `# laptop\n${one}\r\n\n${two}\n`) } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(configData(name).authorized_keys, `${one}\n${two}\n`);
  assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
});

test("doctor's key check validates the content, not only that the file exists", async () => {
  const { privateKey } = generateKeyPairSync('ed25519', { privateKeyEncoding: { format: 'pem', type: 'pkcs8' }, publicKeyEncoding: { format: 'pem', type: 'spki' } });
  const bad = await runSpark(['doctor', '--json'], { env: { ...env, SSH_PUBLIC_KEY_PATH: keyFile('doctor-key', privateKey) } });
  const check = (JSON.parse(bad.stdout) as { checks: Array<{ id: string; title: string; status: string; detail: string; fix: string }> }).checks.find((c) => c.id === 'ssh-key');
  assert.equal(check?.status, 'fail', bad.stdout);
  assert.equal(check?.title, 'SSH public key is valid');
  assert.match(check?.detail ?? '', /it holds a private key/);
  assert.match(check?.fix ?? '', /public half/);
  assert.equal(bad.code, 1);
  const good = await runSpark(['doctor', '--json'], { env });
  const ok = (JSON.parse(good.stdout) as { checks: Array<{ id: string; status: string; detail: string }> }).checks.find((c) => c.id === 'ssh-key');
  assert.equal(ok?.status, 'ok');
  assert.match(ok?.detail ?? '', /\(ssh-ed25519\)/);
});

// ---- item 9: a broken config file is located, never quoted ----

test('an invalid config file names the file, line and column, and quotes none of its text', async () => {
  const file = join(home, 'broken.json');
  writeFileSync(file, '{\n  "POSTGRES_HOST": "db.example",\n  "POSTGRES_PASSWORD": hunter2-SECRET-TEXT\n}\n');
  for (const args of [['config'], ['create', 'x', '--no-shell']]) {
    const result = await runSpark(args, { env: { ...env, SPARK_CONFIG: file } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`The config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON at line 3, column 24: an unexpected character`));
    for (const fragment of ['hunter2', 'SECRET', 'TEXT', 'db.example']) assert.ok(!result.stderr.includes(fragment), `"${fragment}" of the file was printed:\n${result.stderr}`);
  }
  writeFileSync(file, '{"POSTGRES_PASSWORD": "pw-SECRET-TEXT"');
  const json = await runSpark(['config', '--json'], { env: { ...env, SPARK_CONFIG: file } });
  const { error } = JSON.parse(json.stdout) as { error: { code: string; message: string } };
  assert.equal(error.code, 'CONFIG_INVALID');
  assert.match(error.message, /at line 1, column 39: a closing "}" was expected/);
  assert.ok(!json.stdout.includes('SECRET'));
  writeFileSync(file, '{"sk-PASTED-SECRET-VALUE": "x"}');
  const pasted = await runSpark(['config'], { env: { ...env, SPARK_CONFIG: file } });
  assert.match(pasted.stderr, /Unknown setting in .* at line 1, column 2/);
  assert.ok(!pasted.stderr.includes('PASTED'));
});

// ---- item 11: every setting and flag, checked first ----

const badSettings: Array<[Record<string, string>, RegExp]> = [
  [{ SPARK_IMAGE: 'debian bookworm' }, /SPARK_IMAGE="debian bookworm" \(from environment\) is invalid: must be an image reference/],
  [{ SPARK_IMAGE: 'Debian:bookworm' }, /SPARK_IMAGE="Debian:bookworm" .* is invalid: must be an image reference/],
  [{ SPARK_IMAGE: 'ghcr.io/me/spark:' }, /SPARK_IMAGE=.* is invalid/],
  [{ SPARK_STORAGE_SIZE: '0' }, /SPARK_STORAGE_SIZE="0" .* is invalid: must be more than zero/],
  [{ SPARK_STORAGE_SIZE: '10GB' }, /SPARK_STORAGE_SIZE="10GB" .* is invalid: must be a Kubernetes quantity/],
  [{ SPARK_CPU_REQUEST: '-1' }, /SPARK_CPU_REQUEST="-1" .* must be more than zero/],
  [{ SPARK_MEMORY_LIMIT: '4 Gi' }, /SPARK_MEMORY_LIMIT="4 Gi" .* must be a Kubernetes quantity/],
  [{ SPARK_CPU_REQUEST: '3', SPARK_CPU_LIMIT: '2500m' }, /SPARK_CPU_REQUEST="3" \(from environment\) is more than SPARK_CPU_LIMIT="2500m"/],
  [{ SPARK_MEMORY_REQUEST: '8Gi', SPARK_MEMORY_LIMIT: '4Gi' }, /SPARK_MEMORY_REQUEST="8Gi" \(from environment\) is more than SPARK_MEMORY_LIMIT="4Gi" \(from environment\)/],
  [{ SPARK_STORAGE_CLASS: 'Fast_SSD' }, /SPARK_STORAGE_CLASS="Fast_SSD" .* must be a DNS-1123 name/],
  [{ SPARK_TOOLS_PVC: 'tools/../x' }, /SPARK_TOOLS_PVC=.* must be a DNS-1123 name/],
  [{ SPARK_NAMESPACE: 'My_NS' }, /SPARK_NAMESPACE="My_NS" .* must be a DNS-1123 label/],
  [{ SPARK_TAILSCALE_TAGS: 'spark' }, /SPARK_TAILSCALE_TAGS="spark" .* each like tag:spark/],
  [{ SPARK_TAILSCALE_TAGS: 'tag:spark, tag:dev' }, /SPARK_TAILSCALE_TAGS=.* without spaces/],
  [{ SPARK_TAILSCALE_PROXY_CLASS: 'a b' }, /SPARK_TAILSCALE_PROXY_CLASS=.* must be a DNS-1123 name/],
  [{ SPARK_DATABASE_HOST: 'db host' }, /SPARK_DATABASE_HOST="db host" .* must be a host name .* or an IP address/],
  [{ SPARK_DATABASE_HOST: 'db.example:5432' }, /SPARK_DATABASE_HOST=.* must be a host name/],
  [{ SPARK_DB_CONNECTION_LIMIT: '0' }, /SPARK_DB_CONNECTION_LIMIT="0" .* must be between 1 and 10000/],
  [{ SPARK_DB_CONNECTION_LIMIT: '10001' }, /SPARK_DB_CONNECTION_LIMIT="10001" .* must be between 1 and 10000/],
  [{ SPARK_DOTFILES_REPO: 'ext::sh -c evil' }, /SPARK_DOTFILES_REPO=.* is invalid: contains spaces or control characters/],
  [{ SPARK_DOTFILES_REPO: '/home/me/dotfiles' }, /SPARK_DOTFILES_REPO=.* is a local path or file:\/\/ URL, which the cluster cannot clone/],
  [{ SPARK_CONTEXT: 'fake\u001b]0;owned\u0007' }, /SPARK_CONTEXT="fake\\u001b\]0;owned\\u0007" .* contains control characters/],
];
for (const [settings, expected] of badSettings) {
  test(`create refuses ${JSON.stringify(settings)} before any SQL or API call, exit 2 with the fix`, async () => {
    const stderr = await assertRefusedBeforeAnything([], settings, expected);
    assert.match(stderr, /fix: (Set a valid [A-Z_]+ \(.*\)(, e\.g\. [A-Z_]+=\S+)?\.|A request must not exceed its limit)/);
  });
}

const badRepos: Array<[string, RegExp]> = [
  ['ext::sh -c touch% /tmp/pwned', /contains spaces or control characters/],
  ['ext::sh', /uses a git remote helper \(such as ext:: or fd::\)/],
  ['fd::17', /uses a git remote helper/],
  ['-uhttps://example.com/x.git', /starts with "-", which git would read as an option/],
  ['--upload-pack=touch /tmp/pwned', /contains spaces|starts with "-"/],
  ['https://github.com/me/app.git\n', /contains spaces or control characters/],
  ['https://github.com/me/a\u001b[2Jb.git', /contains spaces or control characters/],
  ['ftp://example.com/app.git', /uses the scheme ftp:\/\/; use https:\/\/, http:\/\/ or ssh:\/\//],
  ['https://', /is not a valid URL|has no valid host name/],
  ['https://github.com', /names no repository/],
  ['git@-oProxyCommand=evil:x', /has no valid host name before ":"/],
  ['/home/me/project', /is a local path or file:\/\/ URL, which the cluster cannot clone; use an https:\/\/ or ssh:\/\/ URL \(or --runtime local\)/],
  ['file:///home/me/project', /is a local path or file:\/\/ URL/],
];
for (const [repo, expected] of badRepos) {
  test(`create --repo ${JSON.stringify(repo)} is refused before anything is made, exit 2`, async () => {
    // Whether a local path is allowed depends on the runtime, known once the configuration (maybe its Secret) is read.
    const local = /local path/.test(expected.source);
    const stderr = await assertRefusedBeforeAnything(['--repo', repo], {}, new RegExp(`--repo .* ${expected.source}`), local ? 'reads only' : 'nothing');
    assert.match(stderr, /fix: Give a (repository git|URL the cluster) can clone, e\.g\. --repo https:\/\/github\.com\/me\/app\.git/);
  });
}

test('valid values of every checked setting are accepted', async () => {
  const result = await runSpark(['config', '--json'], {
    env: {
      ...env,
      SPARK_IMAGE: 'localhost:5000/me/spark-image_v2@sha256:' + 'ab'.repeat(32),
      SPARK_STORAGE_SIZE: '1.5Ti',
      SPARK_CPU_REQUEST: '100m',
      SPARK_CPU_LIMIT: '1e3',
      SPARK_MEMORY_REQUEST: '1G',
      SPARK_MEMORY_LIMIT: '1Gi',
      SPARK_STORAGE_CLASS: 'fast.ssd-1',
      SPARK_TOOLS_PVC: 'spark-tools',
      SPARK_TAILSCALE_TAGS: 'tag:spark,tag:dev-2',
      SPARK_DATABASE_HOST: 'fd00::1',
      SPARK_DB_CONNECTION_LIMIT: '10000',
      SPARK_DOTFILES_REPO: 'git@github.com:me/dotfiles.git',
    },
  });
  assert.equal(result.code, 0, result.stderr);
});

test('create accepts scp-like and ssh:// repository URLs and records them as given', async () => {
  for (const repo of ['git@github.com:me/app.git', 'ssh://git@git.example:2222/me/app.git']) {
    const name = unique('repo');
    const result = await runSpark(['create', name, '--no-shell', '--repo', repo], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(configData(name).GIT_REPO, repo);
    assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
  }
});

test('a malformed --superuser-url is a usage error naming what is wrong, never a stack trace', async () => {
  const cases: Array<[string, RegExp]> = [
    ['postgresql://postgres:pa%zz@127.0.0.1:5432/homelab', /a "%" in the password is not followed by two hex digits/],
    ['postgresql://postgres:x@127.0.0.1:99999/homelab', /it cannot be parsed/],
    ['mysql://root@127.0.0.1/db', /the scheme is mysql, not postgresql/],
    ['postgresql://postgres:x@127.0.0.1/homelab%', /a "%" in the database name/],
    ['postgresql://postgres:x@127.0.0.1/homelab?password=y', /it gives the password twice/],
    ['postgresql://postgres:x@127.0.0.1/homelab?sslmode=sometimes', /sslmode must be one of disable, prefer, require, verify-ca, verify-full/],
    ['postgresql://postgres:x@127.0.0.1/homelab?host=/tmp', /unsupported parameter "host"/],
  ];
  for (const [url, expected] of cases) {
    const result = await runSpark(['admin', 'setup-db', '--superuser-url', url], { env });
    assert.equal(result.code, 2, `${url}\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`error: --superuser-url is not a valid postgresql:// URL: ${expected.source}`));
    assert.match(result.stderr, /^fix: Write it as postgresql:\/\//m);
    assert.doesNotMatch(result.stderr, /Unexpected error|URIError|    at /);
  }
});

test('--superuser-url with ?password= logs in with that password', async () => {
  const url = new URL(server.superuserUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  url.searchParams.set('password', password);
  const result = await runSpark(['admin', 'setup-db', '--print-sql', '--superuser-url', url.toString()], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!(result.stdout + result.stderr).includes(password), 'the password was printed');
});

// ---- smaller: the API-key warning ----

test('without ANTHROPIC_API_KEY: doctor says "is not set", create warns once, and not at all with -q', async () => {
  const noKey = { ...env, ANTHROPIC_API_KEY: '' };
  const doctor = await runSpark(['doctor', '--json'], { env: noKey });
  const check = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; title: string; status: string }> }).checks.find((c) => c.id === 'anthropic-key');
  assert.deepEqual([check?.title, check?.status], ['ANTHROPIC_API_KEY is not set', 'warn']);
  const withKey = (JSON.parse((await runSpark(['doctor', '--json'], { env })).stdout) as { checks: Array<{ id: string; title: string }> }).checks.find((c) => c.id === 'anthropic-key');
  assert.equal(withKey?.title, 'ANTHROPIC_API_KEY is set');

  for (const [flags, times] of [[[], 1], [['-q'], 0]] as const) {
    const name = unique('nokey');
    const result = await runSpark([...flags, 'create', name, '--no-shell'], { env: noKey });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.split('ANTHROPIC_API_KEY is not set').length - 1, times, `${flags.join(' ')}:\n${result.stderr}`);
    assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
  }
});
