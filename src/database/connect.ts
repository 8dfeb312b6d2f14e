import type { Client, ClientConfig } from 'pg';
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
 */
export async function connect(target: ConnectionTarget, ssl: ClientConfig['ssl'] = sslOption(target.sslmode)): Promise<Client> {
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
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // What pg's own timeout does (lib/client.js): end() alone would wait on the silent socket forever.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    return client;
  } catch (error) {
    void client.end().catch(() => {});
    // sslmode=prefer: fall back to plain text when the server has no SSL, like libpq.
    if (target.sslmode === 'prefer' && ssl !== false && isNoSslServer(error)) return connect(target, false);
    throw connectionError(error, target);
  } finally {
    clearTimeout(timer);
  }
}

/** pg reports a server without SSL by message only (lib/connection.js); the one place we match text. */
export function isNoSslServer(error: unknown): boolean {
  return error instanceof Error && error.message === 'The server does not support SSL connections';
}

/** A superuser URL as a target; its password is registered so it can never be printed. */
export function targetFromUrl(url: string, fallbackDatabase: string, fallbackSslmode: SslMode = 'disable'): ConnectionTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    registerSecret(url);
    throw connectionError(Object.assign(new Error('not a URL'), { code: 'SPARK_BAD_URL' }), undefined);
  }
  registerSecret(parsed.password);
  const password = decodeURIComponent(parsed.password);
  registerSecret(password);
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw connectionError(Object.assign(new Error('not a postgresql:// URL'), { code: 'SPARK_BAD_URL' }), undefined);
  const sslmode = (parsed.searchParams.get('sslmode') ?? fallbackSslmode) as SslMode;
  return {
    host: decodeURIComponent(parsed.hostname.replace(/^\[(.*)\]$/, '$1')) || '127.0.0.1',
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username) || 'postgres',
    password,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || fallbackDatabase,
    sslmode,
  };
}
