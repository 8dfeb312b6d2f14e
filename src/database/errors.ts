/**
 * Every PostgreSQL or connection error a user can meet, as a SparkError with the fix (the seed's
 * troubleshooting section). Classified by SQLSTATE / errno `code`, never by message text: on
 * Node 20 a refused connection is an AggregateError with an empty message and codes inside.
 */
import { SparkError, type SparkErrorCode } from '../errors.js';
import { redact } from '../redact.js';
import { quoteIdent } from './quote.js';

interface Where {
  host: string;
  port: number;
  user: string;
  database: string;
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'];
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|EPROTO$|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH)/;

/** The error's code, looking inside AggregateError (Node tries every address of a host). */
export function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (Array.isArray(e?.errors)) {
    const codes = e.errors.map(errorCode).filter((c): c is string => c !== undefined);
    return codes[0];
  }
  return undefined;
}

function describe(error: unknown): string {
  const e = error as { message?: string; errors?: Array<{ message?: string }> };
  const message = e?.message || e?.errors?.map((x) => x.message).filter(Boolean).join('; ') || String(error);
  return redact(message);
}

export const CONNECTION_CHECKLIST = [
  'PostgreSQL is running: kubectl get pods -n postgres',
  'Service is exposed: kubectl get svc -n postgres',
  'Tailscale is connected: tailscale status',
  'or reach it through a port-forward: kubectl port-forward -n postgres svc/postgres 5432:5432  (then POSTGRES_HOST=127.0.0.1)',
  'POSTGRES_HOST and POSTGRES_PORT are right: spark config',
];

const checklist = (): string => `Check:\n${CONNECTION_CHECKLIST.map((line, i) => `${i + 1}. ${line}`).join('\n')}`;

/** A failed connection attempt, by cause. */
export function connectionError(error: unknown, where: Where | undefined): SparkError {
  if (error instanceof SparkError) return error;
  const code = errorCode(error);
  const at = where ? `${where.host}:${where.port}` : 'the server';
  const as = where ? `${where.user}@${at}/${where.database}` : at;
  const make = (message: string, hint: string, sparkCode: SparkErrorCode) => new SparkError(message, { hint, code: sparkCode, cause: error });
  switch (code) {
    case 'SPARK_BAD_URL':
      return new SparkError('The superuser URL is not a valid postgresql:// URL.', { hint: 'Write it as postgresql://postgres:PASSWORD@HOST:5432/homelab, with special characters in the password percent-encoded.', code: 'USAGE', exitCode: 2 });
    case 'ECONNREFUSED':
      return make(`Connection refused by PostgreSQL at ${at}.`, checklist(), 'DB_CONNECTION_REFUSED');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make(`Cannot resolve the PostgreSQL host ${where?.host ?? ''} (DNS ${code}).`, `Is the name right (POSTGRES_HOST) and is Tailscale connected (tailscale status)?\n${checklist()}`, 'DB_HOST_NOT_FOUND');
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return make(`PostgreSQL at ${at} did not answer (${code}).`, `A firewall or a disconnected VPN drops the packets.\n${checklist()}`, 'DB_TIMEOUT');
    case 'ECONNRESET':
      return make(`PostgreSQL at ${at} closed the connection during start-up (${code}).`, 'The server may require SSL or be restarting: try POSTGRES_SSLMODE=require, and check the server log.', 'DB_CONNECTION_RESET');
    case '28P01':
      return make(`PostgreSQL rejected the password of role ${where?.user ?? ''} at ${at} (28P01).`,
        'Check POSTGRES_PASSWORD (spark config shows where it comes from) and the spark-cli-config Secret: was the password rotated (spark admin rotate-password)?\nIf it is lost, a superuser can set a new one: spark admin setup-db --superuser-url postgresql://postgres@HOST/homelab --password-stdin',
        'DB_AUTH_FAILED');
    case '28000':
      return make(`PostgreSQL at ${at} refused ${as} by its pg_hba.conf rules (28000): ${describe(error)}`,
        `As the server's admin, add a line to pg_hba.conf such as\n  host  all  ${where?.user ?? 'spark'}  0.0.0.0/0  scram-sha-256\nthen reload it: SELECT pg_reload_conf();  If the rule is "hostssl", set POSTGRES_SSLMODE=require.`,
        'DB_HBA_REJECTED');
    case '3D000':
      return make(`The admin database "${where?.database ?? ''}" does not exist on ${at} (3D000).`,
        `Set POSTGRES_DB to an existing database, or create it as a superuser: CREATE DATABASE ${quoteIdent(where?.database || 'homelab')};`,
        'DB_ADMIN_DATABASE_MISSING');
    case '53300':
      return tooManyConnections(error);
    case '57P03':
      return starting(error);
  }
  if ((code && TLS_CODES.test(code)) || (error instanceof Error && error.message === 'The server does not support SSL connections')) {
    return make(`SSL negotiation with PostgreSQL at ${at} failed: ${describe(error)}`,
      'Match POSTGRES_SSLMODE to the server: disable for a server without SSL, require to encrypt without verifying, verify-full with a trusted certificate.',
      'DB_SSL');
  }
  return queryError(error, {});
}

function tooManyConnections(error: unknown): SparkError {
  return new SparkError(`PostgreSQL refused a connection: too many connections (53300): ${describe(error)}`, {
    hint: 'Close idle sessions (see SELECT datname, usename, count(*) FROM pg_stat_activity GROUP BY 1, 2;), or raise the limit: SPARK_DB_CONNECTION_LIMIT for spark databases, max_connections on the server.',
    code: 'DB_TOO_MANY_CONNECTIONS',
    cause: error,
  });
}

function starting(error: unknown): SparkError {
  return new SparkError(`PostgreSQL is starting up, shutting down or recovering (57P03): ${describe(error)}`, {
    hint: 'Wait a moment and run the command again; if it persists: kubectl get pods -n postgres, and the server log.',
    code: 'DB_NOT_READY',
    cause: error,
  });
}

export interface QueryContext {
  operation?: 'create' | 'drop' | 'setup' | 'rotate';
  /** The spark or database name the statement was about. */
  name?: string;
  /** The spark role, for fixes that name it. */
  role?: string;
  /** Who owns the database, when known (42501 on DROP). */
  owner?: string;
  /** Whether the existing database of a 42P04 is a spark. */
  isSpark?: boolean;
}

/** A failed statement, by SQLSTATE and what we were doing. */
export function queryError(error: unknown, context: QueryContext): SparkError {
  if (error instanceof SparkError) return error;
  const code = errorCode(error);
  const role = context.role ?? 'spark';
  const name = context.name ?? '<name>';
  const make = (message: string, hint: string, sparkCode: SparkErrorCode) => new SparkError(message, { hint, code: sparkCode, cause: error });
  switch (code) {
    case '42501':
      if (context.operation === 'create') {
        return make(`The role ${role} may not create databases (42501: ${describe(error)}).`,
          `As a superuser run: ALTER USER ${quoteIdent(role)} CREATEDB;  (or: spark admin setup-db --superuser-url URL)`, 'DB_NO_CREATEDB');
      }
      if (context.operation === 'drop') {
        const owner = context.owner ? `it is owned by ${context.owner}, ` : '';
        return make(`Cannot drop database "${name}": ${owner}not by ${role} (42501).`,
          `As a superuser, either give it to spark: ALTER DATABASE ${quoteIdent(name)} OWNER TO ${quoteIdent(role)};\nor drop it yourself: DROP DATABASE ${quoteIdent(name)} WITH (FORCE);`, 'DB_NOT_OWNER');
      }
      return make(`Permission denied (42501): ${describe(error)}`, `Repair the role's privileges as a superuser: spark admin setup-db --superuser-url URL`, 'DB_PERMISSION_DENIED');
    case '42P04':
      return context.isSpark === false
        ? make(`A database named "${name}" already exists and is not a spark (42P04).`, `Choose another name for the spark, or, if it is a leftover you want gone: spark delete ${name} --force-db`, 'NAME_TAKEN')
        : make(`The database "${name}" already exists (42P04).`, `If it is an old spark, remove it first: spark delete ${name}`, 'NAME_TAKEN');
    case '55006':
      return make(`The database "${name}" is still in use (55006): ${describe(error)}`,
        `As a superuser, end its sessions: SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name.replace(/'/g, "''")}';  and check for prepared transactions (pg_prepared_xacts) and replication slots (pg_replication_slots) on it.`,
        'DB_IN_USE');
    case '53300':
      return tooManyConnections(error);
    case '57P03':
      return starting(error);
    case '0A000':
      return make(`The PostgreSQL server does not support this (0A000): ${describe(error)}`, 'spark needs PostgreSQL 13 or later (DROP DATABASE … WITH (FORCE)).', 'DB_UNSUPPORTED');
  }
  if (code && [...NETWORK_CODES, '28P01', '28000', '3D000'].includes(code)) return connectionError(error, undefined);
  return make(`PostgreSQL error${code ? ` ${code}` : ''}: ${describe(error)}`, 'See the PostgreSQL server log for details; spark doctor checks the whole setup.', 'DB_ERROR');
}
