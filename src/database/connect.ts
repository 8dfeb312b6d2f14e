import type { Client, ClientConfig } from 'pg';
import { SparkError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { connectionError } from './errors.js';
import type { DatabaseSettings, SslMode } from './settings.js';

/** Where one connection goes: the connection part of the settings. */
export type ConnectionTarget = Pick<DatabaseSettings, 'host' | 'port' | 'user' | 'password' | 'database' | 'sslmode' | 'connectTimeoutMs'>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function sslOption(mode: SslMode): ClientConfig['ssl'] {
  switch (mode) {
    case 'disable': return false;
    case 'prefer':
    case 'require': return { rejectUnauthorized: false };
    case 'verify-ca': return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full': return { rejectUnauthorized: true };
  }
}

/**
 * Connect with a deadline of our own: pg's connectionTimeoutMillis fails with a bare message and
 * no code, and we classify on codes only. Any failure becomes a SparkError naming the fix.
 * `signal` gives up on a connection no longer wanted (its socket closed at once).
 */
export async function connect(target: ConnectionTarget, ssl: ClientConfig['ssl'] = sslOption(target.sslmode), signal?: AbortSignal): Promise<Client> {
  registerSecret(target.password);
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl,
    application_name: 'spark',
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  client.on('error', () => {});
  const timeoutMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  let abandon: (() => void) | undefined;
  // What pg's own timeout does (lib/client.js): end() alone would wait on the silent socket forever.
  const destroy = () => (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    abandon = () => {
      destroy();
      reject(Object.assign(new Error('the connection was given up'), { code: 'ABORT_ERR' }));
    };
    if (signal?.aborted) abandon();
    else signal?.addEventListener('abort', abandon, { once: true });
  });
  try {
    await Promise.race([client.connect(), deadline]);
    return client;
  } catch (error) {
    void client.end().catch(() => {});
    // sslmode=prefer: fall back to plain text when the server has no SSL, like libpq.
    if (target.sslmode === 'prefer' && ssl !== false && isNoSslServer(error) && !signal?.aborted) return connect(target, false, signal);
    throw connectionError(error, target);
  } finally {
    clearTimeout(timer);
    if (abandon) signal?.removeEventListener('abort', abandon);
  }
}

/** pg reports a server without SSL by message only (lib/connection.js); the one place we match text. */
export function isNoSslServer(error: unknown): boolean {
  return error instanceof Error && error.message === 'The server does not support SSL connections';
}

/**
 * A superuser URL as a target; its password is registered so it can never be printed. A malformed
 * URL is a usage error naming what is wrong (never the URL itself, which holds a password).
 */
export function targetFromUrl(url: string, fallbackDatabase: string, fallbackSslmode: SslMode = 'disable'): ConnectionTarget {
  const bad = (why: string): SparkError => {
    registerSecret(url);
    return new SparkError(`--superuser-url is not a valid postgresql:// URL: ${why}.`, {
      hint: 'Write it as postgresql://postgres:PASSWORD@HOST:5432/homelab, with special characters in the password percent-encoded (% as %25, @ as %40, / as %2F), or give it as a query parameter: postgresql://postgres@HOST:5432/homelab?password=…',
      code: 'USAGE',
      exitCode: 2,
    });
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad('it cannot be parsed (check the port and the characters around the host)');
  }
  registerSecret(parsed.password);
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw bad(`a "%" in the ${what} is not followed by two hex digits`);
    }
  };
  const fromQuery = parsed.searchParams.get('password') ?? undefined;
  registerSecret(fromQuery);
  const password = decode(parsed.password, 'password');
  registerSecret(password);
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw bad(`the scheme is ${parsed.protocol.replace(/:$/, '')}, not postgresql`);
  if (fromQuery !== undefined && parsed.password) throw bad('it gives the password twice, after the user name and as a query parameter');
  const unknown = [...parsed.searchParams.keys()].filter((k) => k !== 'sslmode' && k !== 'password');
  if (unknown.length) throw bad(`unsupported parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')} (only sslmode and password are read)`);
  const sslmode = parsed.searchParams.get('sslmode') ?? fallbackSslmode;
  if (!SSL_MODES.includes(sslmode as SslMode)) throw bad(`sslmode must be one of ${SSL_MODES.join(', ')}`);
  return {
    host: decode(parsed.hostname.replace(/^\[(.*)\]$/, '$1'), 'host') || '127.0.0.1',
    port: Number(parsed.port || 5432),
    user: decode(parsed.username, 'user name') || 'postgres',
    password: fromQuery ?? password,
    database: decode(parsed.pathname.replace(/^\//, ''), 'database name') || fallbackDatabase,
    sslmode: sslmode as SslMode,
  };
}

const SSL_MODES: SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];
