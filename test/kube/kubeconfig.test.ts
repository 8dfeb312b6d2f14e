/**
 * The kubeconfig reader and the REST client (src/runtimes/kubernetes/kubeconfig.ts, rest.ts) against
 * a real HTTPS server on loopback that records what each request carried: every auth form kubectl
 * supports that spark handles itself (token, tokenFile, client certificates as data and as files,
 * basic auth, exec plugins of client.authentication.k8s.io/v1 and v1beta1 with their env and args),
 * the server CA as data and as a file, insecure-skip-tls-verify, and the choice of context.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openKubeClient } from '../../src/runtimes/kubernetes/client.js';
import { SparkError } from '../../src/errors.js';
import { redact } from '../../src/redact.js';
import { selfSigned } from '../support/tls.js';

interface Seen {
  authorization?: string;
  clientCN?: string;
}

const serverTls = selfSigned('api-server');
const clientA = selfSigned('client-a');
const clientB = selfSigned('client-b');
const clientExec = selfSigned('client-exec');
let server: Server;
let url: string;
let dir: string;
const seen: Seen[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spark-kubeconfig-'));
  // Client certificates are asked for, and checked against the three clients' own certificates.
  server = createServer({ ...serverTls, requestCert: true, rejectUnauthorized: false, ca: [clientA.cert, clientB.cert, clientExec.cert] }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
    seen.push({ authorization: req.headers.authorization, clientCN: peer?.subject?.CN });
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ gitVersion: 'v1.99.0-test' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A kubeconfig with one cluster (this server, its CA as data unless given) and one user. */
function kubeconfig(file: string, user: string, cluster = `certificate-authority-data: ${b64(serverTls.cert)}`): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${url}
    ${cluster}
users:
- name: me
  user:
${user
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
contexts:
- name: test
  context: {cluster: test, user: me}
current-context: test
`,
  );
  return path;
}

/** One GET /version with this kubeconfig; what the server saw. */
async function ask(path: string, requests = 1): Promise<Seen> {
  const client = openKubeClient({ KUBECONFIG: path }, { env: { HOME: dir, PATH: process.env.PATH } });
  const before = seen.length;
  for (let i = 0; i < requests; i++) {
    const info = await client.get<{ gitVersion: string }>({ verb: 'get', resource: 'version', clusterScoped: true }, '/version');
    assert.equal(info.gitVersion, 'v1.99.0-test');
  }
  assert.equal(seen.length, before + requests);
  return seen[seen.length - 1]!;
}

test('a bearer token is sent, and the server is verified with the CA from the kubeconfig', async () => {
  const saw = await ask(kubeconfig('token.yaml', 'token: tok-inline-123'));
  assert.equal(saw.authorization, 'Bearer tok-inline-123');
  assert.equal(redact('tok-inline-123'), '***', 'the token is masked in any output');
});

test('the CA as a file (relative to the kubeconfig), and insecure-skip-tls-verify without one', async () => {
  writeFileSync(join(dir, 'ca.crt'), serverTls.cert);
  assert.equal((await ask(kubeconfig('ca-file.yaml', 'token: t1', 'certificate-authority: ca.crt'))).authorization, 'Bearer t1');
  assert.equal((await ask(kubeconfig('skip.yaml', 'token: t2', 'insecure-skip-tls-verify: true'))).authorization, 'Bearer t2');
  // Without the CA the certificate is refused, with the TLS fix.
  const client = openKubeClient({ KUBECONFIG: kubeconfig('no-ca.yaml', 'token: t3', 'insecure-skip-tls-verify: false') }, { env: { HOME: dir } });
  await assert.rejects(client.get({ verb: 'get', resource: 'version', clusterScoped: true }, '/version'), (e: SparkError) => e.code === 'KUBE_TLS');
});

test('tokenFile is read relative to the kubeconfig', async () => {
  writeFileSync(join(dir, 'sa-token'), 'tok-from-file\n');
  assert.equal((await ask(kubeconfig('token-file.yaml', 'tokenFile: sa-token'))).authorization, 'Bearer tok-from-file');
});

test('client certificates, as data and as files, authenticate the client', async () => {
  const data = await ask(kubeconfig('cert-data.yaml', `client-certificate-data: ${b64(clientA.cert)}\nclient-key-data: ${b64(clientA.key)}`));
  assert.equal(data.clientCN, 'client-a');
  assert.equal(data.authorization, undefined);
  writeFileSync(join(dir, 'b.crt'), clientB.cert);
  writeFileSync(join(dir, 'b.key'), clientB.key);
  assert.equal((await ask(kubeconfig('cert-files.yaml', 'client-certificate: b.crt\nclient-key: b.key'))).clientCN, 'client-b');
});

test('basic auth sends username and password', async () => {
  const saw = await ask(kubeconfig('basic.yaml', 'username: admin\npassword: "p@ss:word"'));
  assert.equal(saw.authorization, `Basic ${b64('admin:p@ss:word')}`);
});

/** A stand-in credential plugin: answers with what it was given, and counts its runs. */
function plugin(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!${process.execPath}\nconst fs = require('node:fs');\nfs.appendFileSync(__filename + '.runs', 'x');\nconst info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

for (const apiVersion of ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']) {
  test(`an exec plugin (${apiVersion}) gets its env, args and KUBERNETES_EXEC_INFO, and runs once per command`, async () => {
    const name = `plugin-${apiVersion.split('/')[1]}`;
    plugin(
      name,
      `process.stdout.write(JSON.stringify({ kind: 'ExecCredential', apiVersion: info.apiVersion, status: { token: [process.env.PLUGIN_PREFIX, ...process.argv.slice(2), info.apiVersion, String(info.spec.interactive)].join('|') } }));`,
    );
    const path = kubeconfig(
      `${name}.yaml`,
      `exec:\n  apiVersion: ${apiVersion}\n  command: ./${name}\n  args: [--cluster, home lab]\n  env:\n  - name: PLUGIN_PREFIX\n    value: from-env\n  interactiveMode: Never`,
    );
    const saw = await ask(path, 3);
    assert.equal(saw.authorization, `Bearer from-env|--cluster|home lab|${apiVersion}|false`);
    assert.equal(readFileSync(join(dir, `${name}.runs`), 'utf8'), 'x', 'one run for three requests');
    assert.equal(redact(`from-env|--cluster|home lab|${apiVersion}|false`), '***', 'the token from the plugin is masked');
  });
}

test('an exec plugin may answer with a client certificate; a failing one is an error with its message', async () => {
  plugin('cert-plugin', `process.stdout.write(JSON.stringify({ kind: 'ExecCredential', apiVersion: info.apiVersion, status: { clientCertificateData: ${JSON.stringify(clientExec.cert)}, clientKeyData: ${JSON.stringify(clientExec.key)} } }));`);
  const saw = await ask(kubeconfig('exec-cert.yaml', `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./cert-plugin`));
  assert.equal(saw.clientCN, 'client-exec');

  plugin('failing-plugin', `process.stderr.write('error: you must log in first (run: homelab-login)\\n'); process.exit(1);`);
  const client = openKubeClient({ KUBECONFIG: kubeconfig('exec-fails.yaml', `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ./failing-plugin`) }, { env: { HOME: dir } });
  const before = seen.length;
  await assert.rejects(client.get({ verb: 'get', resource: 'version', clusterScoped: true }, '/version'), (e: SparkError) => e instanceof SparkError && /you must log in first/.test(e.message));
  assert.equal(seen.length, before, 'nothing was sent without credentials');
  assert.ok(existsSync(join(dir, 'failing-plugin.runs')));
});

test('contexts: files merged as kubectl does, --context chooses, an unknown one is a usage error', async () => {
  const first = join(dir, 'first.yaml');
  const second = join(dir, 'second.yaml');
  writeFileSync(
    first,
    `clusters:\n- name: test\n  cluster: {server: '${url}', certificate-authority-data: ${b64(serverTls.cert)}}\nusers:\n- name: me\n  user: {token: first-token}\ncontexts:\n- name: one\n  context: {cluster: test, user: me}\n`,
  );
  writeFileSync(
    second,
    `clusters:\n- name: test\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: me\n  user: {token: second-token}\n- name: other\n  user: {token: other-token}\ncontexts:\n- name: two\n  context: {cluster: test, user: other}\ncurrent-context: one\n`,
  );
  const env = { HOME: dir };
  const list = `${first}:${second}`;
  // The current context comes from the second file; names defined twice keep the first file's.
  const one = openKubeClient({ KUBECONFIG: list }, { env });
  assert.equal(one.target.context, 'one');
  await one.get({ verb: 'get', resource: 'version', clusterScoped: true }, '/version');
  assert.equal(seen.at(-1)!.authorization, 'Bearer first-token');
  const two = openKubeClient({ KUBECONFIG: list, SPARK_CONTEXT: 'two' }, { env });
  await two.get({ verb: 'get', resource: 'version', clusterScoped: true }, '/version');
  assert.equal(seen.at(-1)!.authorization, 'Bearer other-token');
  assert.throws(() => openKubeClient({ KUBECONFIG: list, SPARK_CONTEXT: 'three' }, { env }), (e: SparkError) => e.code === 'KUBE_CONTEXT_MISSING' && e.exitCode === 2 && /one, two/.test(e.hint ?? ''));
  writeFileSync(join(dir, 'broken.yaml'), 'clusters: [unclosed\n');
  assert.throws(() => openKubeClient({ KUBECONFIG: join(dir, 'broken.yaml') }, { env }), (e: SparkError) => e.code === 'KUBECONFIG_INVALID');
});
