/**
 * The host end of a booted spark's network: a network namespace joined to the host by a veth pair
 * on a link-local /30 (169.254.X.Y), and the servers the tests run on the host address — a TCP
 * relay (to the loopback PostgreSQL), a forward proxy that lets through only Debian's package
 * hosts and the npm registry, and a "silent" server that accepts connections and never answers.
 * Nothing here reaches any address but loopback, that /30, and the proxy's allowed hosts.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

export const PROXY_ALLOWED_HOSTS = ['deb.debian.org', 'security.debian.org', 'registry.npmjs.org'];

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

const live = new Set<SparkNetwork>();
process.on('exit', () => {
  for (const n of live) n.removeSync();
});

export class SparkNetwork {
  readonly servers: Server[] = [];
  readonly sockets = new Set<Socket>();
  private constructor(
    readonly namespace: string,
    readonly hostVeth: string,
    readonly hostAddress: string,
    readonly sparkAddress: string,
  ) {}

  /** A fresh namespace and veth pair on a free 169.254.X.Y/30. */
  static create(): SparkNetwork {
    const used = ip('-o', '-4', 'addr', 'show');
    for (let attempt = 0; attempt < 50; attempt++) {
      const third = randomInt(1, 254);
      const base = randomInt(0, 63) * 4;
      const prefix = `169.254.${third}.`;
      if (used.includes(`${prefix}${base + 1}/`)) continue;
      const id = `${third}x${base}`;
      const network = new SparkNetwork(`spark-boot-${id}`, `sbh${id}`, `${prefix}${base + 1}`, `${prefix}${base + 2}`);
      live.add(network);
      try {
        network.setUp(`sbc${id}`);
      } catch (error) {
        network.removeSync();
        throw error;
      }
      return network;
    }
    throw new Error('no free link-local /30 for a spark network');
  }

  private setUp(sparkVeth: string): void {
    ip('netns', 'add', this.namespace);
    ip('link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', sparkVeth);
    ip('link', 'set', sparkVeth, 'netns', this.namespace);
    ip('addr', 'add', `${this.hostAddress}/30`, 'dev', this.hostVeth);
    ip('link', 'set', this.hostVeth, 'up');
    const inside = (...args: string[]) => ip('-n', this.namespace, ...args);
    inside('link', 'set', 'lo', 'up');
    inside('addr', 'add', `${this.sparkAddress}/30`, 'dev', sparkVeth);
    inside('link', 'set', sparkVeth, 'up');
    // No default route: the spark reaches only the host end (the proxy, the relay, test servers).
  }

  private track(server: Server): Server {
    this.servers.push(server);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(server: Server, port = 0): Promise<number> {
    this.track(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.hostAddress, () => resolve((server.address() as { port: number }).port));
    });
  }

  /** A TCP relay on the host address to target (e.g. the loopback PostgreSQL), on `port` (0: any). */
  relay(target: { host: string; port: number }, port = 0): Promise<number> {
    const server = createServer((inbound) => {
      const outbound = connect(target.port, target.host);
      inbound.pipe(outbound).pipe(inbound);
      const end = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', end);
      outbound.on('error', end);
    });
    return this.listen(server, port);
  }

  /** A server that accepts connections and never answers: a network that silently drops. */
  silent(): Promise<number> {
    return this.listen(createServer(() => {}));
  }

  /**
   * A forward proxy (HTTP CONNECT and plain http) that lets through only PROXY_ALLOWED_HOSTS:
   * the way the plain-image spark reaches Debian's mirror. Others get 403 at once.
   */
  proxy(): Promise<number> {
    const allowed = (host: string) => PROXY_ALLOWED_HOSTS.includes(host.toLowerCase());
    const server = createHttpServer((req, res) => {
      let url: URL;
      try {
        url = new URL(req.url ?? '');
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (url.protocol !== 'http:' || !allowed(url.hostname)) {
        res.writeHead(403).end(`not allowed by the test proxy: ${url.hostname}\n`);
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      const upstream = httpRequest({ host: url.hostname, port: url.port || 80, path: url.pathname + url.search, method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.on('connect', (req, client: Socket, head: Buffer) => {
      const [host = '', port = '443'] = (req.url ?? '').split(':');
      if (!allowed(host) || port !== '443') {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      const end = () => {
        upstream.destroy();
        client.destroy();
      };
      upstream.on('error', end);
      client.on('error', end);
    });
    return this.listen(server);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
    this.removeSync();
  }

  /** Deleting the namespace deletes its veth end, and so the pair. */
  removeSync(): void {
    live.delete(this);
    for (const args of [['netns', 'del', this.namespace], ['link', 'del', this.hostVeth]]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
  }
}
