/**
 * The REST client's transport (src/runtimes/kubernetes/rest.ts): requests of one command share one
 * HTTP/2 connection when the server offers h2 by ALPN (as kube-apiserver does), with gzip, error
 * statuses and a server that closes the connection between requests handled as before; a server
 * that speaks only HTTP/1.1 gets the same answers over keep-alive connections. Real TLS servers of
 * node on loopback, counting their connections.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { KubeClient, loadKubeConfig } from '../../src/runtimes/kubernetes/client.js';
import { SparkError } from '../../src/errors.js';
import { selfSigned } from '../support/tls.js';

const tls = selfSigned('api-server');
let dir: string;

interface Recorded {
  connections: number;
  versions: string[];
  url: string;
}

/** Answers `/n/<k>` with {n: k}, `/big` gzipped when asked, `/missing` 404, `/goaway` then closes the connection. */
function handler() {
  return (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
    const path = req.url ?? '/';
    res.setHeader('content-type', 'application/json');
    if (path.startsWith('/n/')) return void res.end(JSON.stringify({ n: Number(path.slice(3)) }));
    if (path === '/big') {
      const body = JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ name: `item-${i}` })) });
      if (/gzip/.test(String(req.headers['accept-encoding']))) {
        res.setHeader('content-encoding', 'gzip');
        return void res.end(gzipSync(body));
      }
      return void res.end(body);
    }
    if (path === '/goaway') {
      // The server closes this connection once the answer is out (an idle timeout, a restart):
      // HTTP/2 by GOAWAY, HTTP/1.1 by saying so in the answer.
      const h2 = (req as Http2ServerRequest).stream?.session;
      if (h2) setImmediate(() => h2.close());
      else res.setHeader('connection', 'close');
      return void res.end(JSON.stringify({ n: 0 }));
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
  };
}

async function listen(make: (record: Recorded) => Http2SecureServer | Server): Promise<Recorded & { close(): void }> {
  const record: Recorded = { connections: 0, versions: [], url: '' };
  const server = make(record);
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    record.connections++;
    sockets.add(socket);
  });
  server.on('request', (req: IncomingMessage) => record.versions.push(req.httpVersion));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  record.url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // The client's idle connections stay open (unreferenced, as in a command): closed here with the server.
  return Object.assign(record, {
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  });
}

let h2: Awaited<ReturnType<typeof listen>>;
let h1: Awaited<ReturnType<typeof listen>>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spark-rest-h2-'));
  h2 = await listen(() => createSecureServer({ ...tls, allowHTTP1: true }, handler()));
  h1 = await listen(() => createServer(tls, handler()));
});

after(() => {
  h2.close();
  h1.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh client (its own connections) for the server at `url`. */
function client(url: string, name: string): KubeClient {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${name}`,
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority-data: ${Buffer.from(tls.cert).toString('base64')}`,
      'users:',
      `- name: ${name}`,
      `  user: {token: token-${name}}`,
      'contexts:',
      `- name: ${name}`,
      `  context: {cluster: ${name}, user: ${name}, namespace: spark}`,
      `current-context: ${name}`,
      '',
    ].join('\n'),
  );
  return new KubeClient(loadKubeConfig({ KUBECONFIG: path }), 'spark');
}

const op = { verb: 'get', resource: 'things' } as const;

async function exercise(c: KubeClient): Promise<void> {
  const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((k) => c.get<{ n: number }>(op, `/n/${k}`)));
  assert.deepEqual(answers.map((a) => a.n), [1, 2, 3, 4, 5, 6]);
  const big = await c.get<{ items: unknown[] }>(op, '/big');
  assert.equal(big.items.length, 5000, 'a gzipped answer, whole');
  assert.equal(await c.find(op, '/missing'), undefined, '404 is not found');
  await assert.rejects(c.get(op, '/missing'), (e: unknown) => e instanceof SparkError && e.code === 'KUBE_NOT_FOUND');
  // The server closes the connection after this answer: the next request opens another.
  assert.equal((await c.get<{ n: number }>(op, '/goaway')).n, 0);
  assert.equal((await c.get<{ n: number }>(op, '/n/7')).n, 7);
}

test('a server offering h2: concurrent requests share one HTTP/2 connection until the server closes it', async () => {
  const before = h2.connections;
  const from = h2.versions.length;
  await exercise(client(h2.url, 'h2'));
  assert.ok(h2.versions.slice(from).every((v) => v === '2.0'), `HTTP/2 only, got ${h2.versions.slice(from).join(' ')}`);
  assert.equal(h2.connections - before, 2, 'one connection, and one more after the server closed it');
});

test('a server that speaks only HTTP/1.1 gets the same answers over keep-alive connections', async () => {
  const from = h1.versions.length;
  await exercise(client(h1.url, 'h1'));
  assert.ok(h1.versions.slice(from).every((v) => v === '1.1'));
  assert.equal(h1.versions.length - from, 11);
});
