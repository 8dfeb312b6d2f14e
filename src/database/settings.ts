import type { Config } from '../config/index.js';
import type { Isolation } from '../core/ports.js';

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** Everything the database layer needs, decoupled from where the values came from. */
export interface DatabaseSettings {
  host: string;
  port: number;
  /** The spark role (POSTGRES_USER). */
  user: string;
  password: string;
  /** The admin database the CLI connects to (POSTGRES_DB); never template1. */
  database: string;
  sslmode: SslMode;
  /** Host written into sparks' DATABASE_URL (SPARK_DATABASE_HOST). */
  sparkHost: string;
  isolation: Isolation;
  /** CONNECTION LIMIT of each spark's database (and role, in isolation mode). */
  connectionLimit: number;
  connectTimeoutMs?: number;
}

export function settingsFromConfig(config: Config): DatabaseSettings {
  const host = config.require('POSTGRES_HOST');
  return {
    host,
    port: Number(config.require('POSTGRES_PORT')),
    user: config.require('POSTGRES_USER'),
    password: config.require('POSTGRES_PASSWORD'),
    database: config.require('POSTGRES_DB'),
    sslmode: (config.get('POSTGRES_SSLMODE') ?? 'disable') as SslMode,
    sparkHost: config.get('SPARK_DATABASE_HOST') ?? host,
    isolation: (config.get('SPARK_DB_ISOLATION') ?? 'shared') as Isolation,
    connectionLimit: Number(config.get('SPARK_DB_CONNECTION_LIMIT') ?? '20'),
  };
}

/** A spark's DATABASE_URL: every part encoded, sslmode always explicit (pg reads prefer/require as verify-full). */
export function databaseUrl(parts: { user: string; password: string; host: string; port: number; database: string; sslmode: SslMode }): string {
  const host = parts.host.includes(':') && !parts.host.startsWith('[') ? `[${parts.host}]` : parts.host;
  const e = encodeURIComponent;
  return `postgresql://${e(parts.user)}:${e(parts.password)}@${host}:${parts.port}/${e(parts.database)}?sslmode=${e(parts.sslmode)}`;
}
