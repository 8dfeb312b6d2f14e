/**
 * A git server for booted sparks: `git http-backend` (smart HTTP) behind a node http server on the
 * spark network's host address. With `token`, it asks for Basic auth and accepts only that
 * password, as a private GitHub repository does.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A bare repository `name`.git under `root` with one commit holding `files`. */
export function makeRepo(root: string, name: string, files: Record<string, string>): void {
  const work = mkdtempSync(join(tmpdir(), 'spark-boot-repo-'));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(work, file), content);
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'init');
  mkdirSync(root, { recursive: true });
  git(work, 'clone', '-q', '--bare', '.', join(root, `${name}.git`));
  rmSync(work, { recursive: true, force: true });
}

/** A request handler that serves the repositories under `root`. */
export function gitHandler(root: string, token?: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (token !== undefined) {
      const auth = req.headers.authorization ?? '';
      const password = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':') : undefined;
      if (password !== token) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  };
}

/** Listens on `address`; resolves with the port and a closer. */
export function startGitServer(address: string, root: string, token?: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(gitHandler(root, token));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    );
  });
}

/**
 * A stand-in for github.com: a proxy (HTTP CONNECT, as https_proxy) that answers CONNECT
 * github.com:443 with TLS under a self-signed github.com certificate (the spark trusts it, as a
 * corporate proxy's CA) and serves the repositories under `root` there, asking for `token`.
 */
export async function startGithubStandIn(address: string, root: string, token: string): Promise<{ port: number; ca: string; close(): Promise<void> }> {
  const { execFileSync: exec } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const { TLSSocket } = await import('node:tls');
  const dir = mkdtempSync(join(tmpdir(), 'spark-boot-gh-'));
  exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=github.com', '-addext', 'subjectAltName=DNS:github.com', '-keyout', join(dir, 'key'), '-out', join(dir, 'crt')], { stdio: 'ignore' });
  const key = readFileSync(join(dir, 'key'), 'utf8');
  const cert = readFileSync(join(dir, 'crt'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const github = createServer(gitHandler(root, token));
  const proxy = createServer((_req, res) => res.writeHead(403).end());
  proxy.on('connect', (req: IncomingMessage, socket: import('node:net').Socket) => {
    if (req.url !== 'github.com:443') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n', () => {
      const tls = new TLSSocket(socket, { isServer: true, key, cert });
      tls.on('error', () => socket.destroy());
      github.emit('connection', tls);
    });
  });
  return new Promise((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, address, () =>
      resolve({
        port: (proxy.address() as { port: number }).port,
        ca: cert,
        close: () => new Promise((r) => proxy.close(() => r())),
      }),
    );
  });
}
