/**
 * Plain REST to the API server over node:http(s), with the credentials of a resolved kubeconfig and
 * one keep-alive agent per client (so a command's requests share one TLS connection where they can).
 * Auth as kubectl does it: bearer token, token file (re-read after a minute), client certificate,
 * basic auth, and exec credential plugins (client.authentication.k8s.io/v1 and v1beta1, run once per
 * command unless the credential expires). The forms the typed client handles better (legacy
 * auth-provider plugins, proxy-url) load @kubernetes/client-node for the request options only.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type https from 'node:https';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createGunzip } from 'node:zlib';
import { registerSecret } from '../../redact.js';
import { viaTypedClient, type ExecConfig, type ResolvedKubeconfig } from './kubeconfig.js';

/** A reply other than 2xx: `code` and `body` are what errors.ts classifies (as for the client's ApiException). */
export class KubeHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}`);
    this.name = 'KubeHttpError';
  }
}

export interface HttpRequest {
  method?: string;
  /** e.g. /api/v1/namespaces/spark/pods */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Ask for a gzipped body (lists compress well; API servers gzip for clients that accept it). */
  gzip?: boolean;
}

/** What an exec plugin returned (ExecCredential status). */
interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

/** The TLS settings of one identity: a connection (HTTP/2 session or keep-alive agent) per `id`. */
interface Tls {
  id: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized?: false;
}

/** One HTTP/2 connection and the requests using it (it keeps the process alive only while they run). */
interface H2Connection {
  /** Set once node:tls has loaded. */
  socket?: TLSSocket;
  /** The session; undefined when the server chose HTTP/1.1 (ALPN). */
  ready: Promise<ClientHttp2Session | undefined>;
  session?: ClientHttp2Session;
  users: number;
}

/** kubectl re-reads a token file at most once a minute (client-go's cachingTokenSource). */
const TOKEN_FILE_TTL_MS = 60_000;

export class KubeRest {
  readonly server: string;
  private readonly agents = new Map<string, http.Agent>();
  private readonly h2 = new Map<string, H2Connection>();
  /** The server answered ALPN with HTTP/1.1: keep-alive agents from then on. */
  private noH2 = false;
  private tokenFile?: { token: string; readAt: number };
  private exec?: Promise<ExecCredential>;
  private execExpires = Infinity;

  constructor(
    readonly config: ResolvedKubeconfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.server = config.cluster.server.replace(/\/+$/, '');
  }

  url(path: string, query: HttpRequest['query'] = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** The whole body as text; a status other than 2xx rejects with KubeHttpError. */
  async text(req: HttpRequest): Promise<string> {
    let text = '';
    await this.stream(req, (chunk) => (text += chunk));
    return text;
  }

  /**
   * Send a request and hand the body to `onText` chunk by chunk (watches, logs); resolves when the
   * body ends. A status other than 2xx rejects with KubeHttpError carrying the body.
   */
  async stream(req: HttpRequest, onText: (chunk: string) => void): Promise<void> {
    const url = this.url(req.path, req.query);
    const headers: Record<string, string> = { accept: req.accept ?? 'application/json' };
    if (req.gzip) headers['accept-encoding'] = 'gzip';
    if (req.body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const options: https.RequestOptions = { method: req.method ?? 'GET', headers, signal: req.signal };
    const tls = await this.authorize(options);
    if (tls && !this.noH2) {
      const connection = this.h2Connection(tls);
      connection.users++;
      connection.socket?.ref();
      try {
        const session = await untilAborted(connection.ready, req.signal);
        if (session) return await h2Request(session, url, options, req.body, onText);
      } finally {
        if (--connection.users === 0) connection.socket?.unref();
      }
    }
    if (tls) {
      const { Agent } = await import('node:https');
      options.agent = this.agent(tls.id, () => new Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}) }));
    }
    const { request: send } = url.protocol === 'http:' ? await import('node:http') : await import('node:https');
    return new Promise((resolve, reject) => {
      const request = send(url, options, (response) => {
        const ok = (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
        const body = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
        body.setEncoding('utf8');
        // Appending strings keeps one copy of a large body; collecting Buffers keeps two.
        let failure = '';
        body.on('data', (chunk: string) => (ok ? onText(chunk) : (failure += chunk)));
        // pipe() does not forward errors: listen on both ends when the body is gunzipped.
        if (body !== response) response.on('error', reject);
        body.on('error', reject);
        body.on('end', () => (ok ? resolve() : reject(new KubeHttpError(response.statusCode ?? 0, failure))));
        // Cut off (an abort, a reset): settle, or a watch would wait forever.
        response.on('close', () => {
          if (!response.complete) reject(Object.assign(new Error('the connection closed before the end of the answer'), { code: 'ECONNRESET' }));
        });
      });
      request.on('error', reject);
      request.end(req.body);
    });
  }

  /**
   * Credentials onto one request's options, and the TLS settings to connect with (none for http:
   * servers and for the typed client's forms, which set their own agent).
   */
  private async authorize(options: https.RequestOptions): Promise<Tls | undefined> {
    const { cluster, user } = this.config;
    if (viaTypedClient(this.config)) {
      await this.authorizeWithTypedClient(options);
      return undefined;
    }
    const headers = options.headers as Record<string, string>;
    let cert = user.certData ? Buffer.from(user.certData, 'base64') : user.certFile ? readFileSync(user.certFile) : undefined;
    let key = user.keyData ? Buffer.from(user.keyData, 'base64') : user.keyFile ? readFileSync(user.keyFile) : undefined;
    let token = user.token;
    if (!token && user.tokenFile) token = this.readTokenFile(user.tokenFile);
    if (user.exec) {
      const credential = await this.execCredential(user.exec);
      if (credential.token) token = credential.token;
      if (credential.clientCertificateData) cert = Buffer.from(credential.clientCertificateData);
      if (credential.clientKeyData) key = Buffer.from(credential.clientKeyData);
    }
    if (token) {
      registerSecret(token);
      headers.Authorization = `Bearer ${token}`;
    } else if (user.username) {
      const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
      registerSecret(basic);
      headers.Authorization = `Basic ${basic}`;
    }
    if (this.server.startsWith('http:')) {
      const { Agent } = await import('node:http');
      options.agent = this.agent('http', () => new Agent({ keepAlive: true }));
      return undefined;
    }
    const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : cluster.caFile ? readFileSync(cluster.caFile) : undefined;
    return {
      // One connection per identity: an exec plugin may hand out a new certificate when the old one expires.
      id: `https ${cert?.toString('base64') ?? ''}`,
      ca,
      cert,
      key,
      servername: cluster.tlsServerName,
      // Unset unless the kubeconfig says so: NODE_TLS_REJECT_UNAUTHORIZED still applies, as for kubectl's Go TLS.
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false as const } : {}),
    };
  }

  /**
   * The HTTP/2 connection of this identity, opened on first use: one TLS handshake for all of a
   * command's requests, which run at once over it (as kubectl's do), where a keep-alive agent opens
   * one connection per concurrent request. ALPN offers h2 and http/1.1; a server that picks
   * HTTP/1.1 gets keep-alive agents from then on. A connection the server closed (GOAWAY, idle) is
   * replaced on the next request.
   */
  private h2Connection(tls: Tls): H2Connection {
    const existing = this.h2.get(tls.id);
    if (existing && !existing.socket?.destroyed && !existing.session?.closed && !existing.session?.destroyed) return existing;
    const connection: H2Connection = { users: 0, ready: undefined as never };
    const forget = (): void => {
      if (this.h2.get(tls.id) === connection) this.h2.delete(tls.id);
    };
    connection.ready = this.openH2(tls, connection, forget);
    // Requests that gave up waiting (their deadline) leave no unhandled rejection behind.
    connection.ready.catch(() => {});
    this.h2.set(tls.id, connection);
    return connection;
  }

  private async openH2(tls: Tls, connection: H2Connection, forget: () => void): Promise<ClientHttp2Session | undefined> {
    // Loaded here, not at the top: node:tls and node:http2 load only when a command talks to a cluster.
    const [{ connect }, { connect: connectH2 }] = await Promise.all([import('node:tls'), import('node:http2')]);
    const url = new URL(this.server);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const socket = connect({
      host,
      port: Number(url.port || 443),
      servername: tls.servername ?? (isIP(host) ? undefined : host),
      ALPNProtocols: ['h2', 'http/1.1'],
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    });
    connection.socket = socket;
    if (connection.users === 0) socket.unref();
    return new Promise<ClientHttp2Session | undefined>((resolve, reject) => {
      socket.once('error', (error) => {
        forget();
        reject(error);
      });
      socket.once('secureConnect', () => {
        if (socket.alpnProtocol !== 'h2') {
          this.noH2 = true;
          forget();
          socket.destroy();
          return resolve(undefined);
        }
        const session = connectH2(this.server, { createConnection: () => socket });
        connection.session = session;
        // Errors reach the streams; the session's own must not go unheard (node would throw them).
        session.on('error', forget);
        session.on('goaway', forget);
        session.on('close', forget);
        resolve(session);
      });
    });
  }

  private agent(key: string, make: () => http.Agent): http.Agent {
    let agent = this.agents.get(key);
    if (!agent) this.agents.set(key, (agent = make()));
    return agent;
  }

  private readTokenFile(path: string): string {
    const now = Date.now();
    if (!this.tokenFile || now - this.tokenFile.readAt > TOKEN_FILE_TTL_MS) {
      this.tokenFile = { token: readFileSync(path, 'utf8').trim(), readAt: now };
    }
    return this.tokenFile.token;
  }

  /** Run the exec plugin once per command (again only when its credential has expired). */
  private execCredential(exec: ExecConfig): Promise<ExecCredential> {
    if (!this.exec || Date.now() >= this.execExpires) {
      this.execExpires = Infinity;
      this.exec = runExecPlugin(exec, this.config, this.env).then((credential) => {
        const expires = credential.expirationTimestamp ? Date.parse(credential.expirationTimestamp) : NaN;
        if (!Number.isNaN(expires)) this.execExpires = expires;
        return credential;
      });
      // A failed run is not cached: the next request tries again.
      this.exec.catch(() => (this.exec = undefined));
    }
    return this.exec;
  }

  /** auth-provider plugins and proxies: the typed client's own handling of the same kubeconfig. */
  private async authorizeWithTypedClient(options: https.RequestOptions): Promise<void> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    const { raw, currentContext } = this.config;
    kc.loadFromOptions({
      clusters: raw.clusters.map((c) => ({ name: c.name, server: c.server, caFile: c.caFile, caData: c.caData, skipTLSVerify: Boolean(c.skipTLSVerify) || c.server.startsWith('http:'), tlsServerName: c.tlsServerName, proxyUrl: c.proxyUrl })),
      users: raw.users.map((u) => ({
        name: u.name,
        token: u.token,
        certFile: u.certFile,
        certData: u.certData,
        keyFile: u.keyFile,
        keyData: u.keyData,
        username: u.username,
        password: u.password,
        exec: u.exec,
        authProvider: u.authProvider as never,
      })),
      contexts: raw.contexts.map((c) => ({ name: c.name, cluster: c.cluster, user: c.user, namespace: c.namespace })),
      currentContext,
    });
    await kc.applyToHTTPSOptions(options);
    const header = (options.headers as Record<string, string | undefined>).Authorization;
    if (header) registerSecret(header.replace(/^(Bearer|Basic)\s+/i, ''));
  }
}

/** `promise`, or the abort of `signal` if it comes first (the shared connection goes on for the others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** HTTP/2's own failures (a reset stream, a session gone) as the connection resets errors.ts knows. */
function h2Failure(error: Error & { code?: string }): Error {
  if (!error.code?.startsWith('ERR_HTTP2_')) return error;
  return Object.assign(new Error(`the connection to the API server failed (${error.code})`, { cause: error }), { code: 'ECONNRESET' });
}

/** One request as a stream of an HTTP/2 session, with the same contract as the HTTP/1.1 path of KubeRest.stream. */
function h2Request(session: ClientHttp2Session, url: URL, options: https.RequestOptions, body: string | undefined, onText: (chunk: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => reject(h2Failure(error));
    const headers = { ':method': options.method ?? 'GET', ':path': url.pathname + url.search, ...(options.headers as Record<string, string>) };
    const stream = session.request(headers, { signal: options.signal ?? undefined, endStream: body === undefined });
    let complete = false;
    stream.on('error', fail);
    stream.on('end', () => (complete = true));
    stream.on('response', (answer) => {
      const status = Number(answer[':status'] ?? 0);
      const ok = status >= 200 && status < 300;
      const text = answer['content-encoding'] === 'gzip' ? stream.pipe(createGunzip()) : stream;
      text.setEncoding('utf8');
      let failure = '';
      text.on('data', (chunk: string) => (ok ? onText(chunk) : (failure += chunk)));
      if (text !== stream) text.on('error', fail);
      text.on('end', () => (ok ? resolve() : reject(new KubeHttpError(status, failure))));
    });
    // Cut off (reset, session gone): settle, or a watch would wait forever.
    stream.on('close', () => {
      if (!complete) reject(Object.assign(new Error('the connection closed before the end of the answer'), { code: 'ECONNRESET' }));
    });
    if (body !== undefined) stream.end(body);
  });
}

/**
 * Run an exec credential plugin as client-go does: its env entries added to ours, KUBERNETES_EXEC_INFO
 * describing the request (and the cluster when provideClusterInfo), stdin given only when it is a
 * terminal (interactive logins). Its stderr becomes the error when it fails.
 */
function runExecPlugin(exec: ExecConfig, config: ResolvedKubeconfig, env: NodeJS.ProcessEnv): Promise<ExecCredential> {
  const interactive = Boolean(process.stdin.isTTY);
  const { cluster } = config;
  const info = {
    kind: 'ExecCredential',
    apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
    spec: {
      interactive,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
              ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
              ...(cluster.caData || cluster.caFile ? { 'certificate-authority-data': cluster.caData ?? readFileSync(cluster.caFile!).toString('base64') } : {}),
            },
          }
        : {}),
    },
  };
  const childEnv: NodeJS.ProcessEnv = { ...env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const { name, value } of exec.env ?? []) childEnv[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args ?? [], { env: childEnv, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(err.trim() || `the credential plugin ${exec.command} exited with ${code}`));
      try {
        const status = (JSON.parse(out) as { status?: ExecCredential }).status ?? {};
        registerSecret(status.token);
        registerSecret(status.clientKeyData);
        if (!status.token && !(status.clientCertificateData && status.clientKeyData)) throw new Error('it returned neither a token nor a client certificate and key');
        resolve(status);
      } catch (error) {
        reject(new Error(`the credential plugin ${exec.command} returned no valid ExecCredential: ${(error as Error).message}`));
      }
    });
  });
}
