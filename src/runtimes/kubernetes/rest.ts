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
import http from 'node:http';
import https from 'node:https';
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

/** kubectl re-reads a token file at most once a minute (client-go's cachingTokenSource). */
const TOKEN_FILE_TTL_MS = 60_000;

export class KubeRest {
  readonly server: string;
  private readonly agents = new Map<string, http.Agent>();
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
    const headers: Record<string, string> = { Accept: req.accept ?? 'application/json' };
    if (req.gzip) headers['Accept-Encoding'] = 'gzip';
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const options: https.RequestOptions = { method: req.method ?? 'GET', headers, signal: req.signal };
    await this.authorize(options);
    return new Promise((resolve, reject) => {
      const request = (url.protocol === 'http:' ? http : https).request(url, options, (response) => {
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

  /** Credentials and TLS settings onto one request's options. */
  private async authorize(options: https.RequestOptions): Promise<void> {
    const { cluster, user } = this.config;
    if (viaTypedClient(this.config)) return this.authorizeWithTypedClient(options);
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
      options.agent = this.agent('http', () => new http.Agent({ keepAlive: true }));
      return;
    }
    const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : cluster.caFile ? readFileSync(cluster.caFile) : undefined;
    // One agent per identity: an exec plugin may hand out a new certificate when the old one expires.
    options.agent = this.agent(`https ${cert?.toString('base64') ?? ''}`, () =>
      new https.Agent({
        keepAlive: true,
        ca,
        cert,
        key,
        servername: cluster.tlsServerName,
        // Unset unless the kubeconfig says so: NODE_TLS_REJECT_UNAUTHORIZED still applies, as for kubectl's Go TLS.
        ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      }),
    );
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
