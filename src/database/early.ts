/**
 * The admin connection opened at the very start of a command that will need it (list), so the
 * PostgreSQL login runs while the cluster adapter loads and the cluster is asked, not after.
 * The database layer opened later with the same settings adopts it (SparkDatabases.connection);
 * one nobody adopted is closed by `release`, so it never keeps the process alive.
 */
import type { Client } from 'pg';
import type { Config } from '../config/index.js';
import { connect, type ConnectionTarget } from './connect.js';
import { settingsFromConfig, type DatabaseSettings } from './settings.js';

const waiting = new Map<string, Promise<Client>>();

const keyOf = (t: ConnectionTarget): string => JSON.stringify([t.host, t.port, t.user, t.password, t.database, t.sslmode]);

/** Start connecting now; `release()` closes the connection if no database layer took it. */
export function connectEarly(target: ConnectionTarget): { release(): Promise<void> } {
  const key = keyOf(target);
  const abandon = new AbortController();
  const client = connect(target, undefined, abandon.signal);
  // Its failure is reported by whoever adopts it; unadopted, it is nobody's to report.
  client.catch(() => {});
  waiting.set(key, client);
  return {
    async release() {
      if (waiting.get(key) !== client) return;
      waiting.delete(key);
      // Still connecting (a server that does not answer): given up at once, not waited for.
      abandon.abort();
      await (await client.catch(() => undefined))?.end().catch(() => {});
    },
  };
}

/** The connection started early for these settings, taken (at most once), if there is one. */
export function adoptEarly(target: ConnectionTarget): Promise<Client> | undefined {
  const key = keyOf(target);
  const client = waiting.get(key);
  waiting.delete(key);
  return client;
}

/** connectEarly with the configuration's settings; nothing when they are incomplete (the layer reports that itself). */
export function connectEarlyFrom(config: Config): { release(): Promise<void> } | undefined {
  let settings: DatabaseSettings;
  try {
    settings = settingsFromConfig(config);
  } catch {
    return undefined;
  }
  return connectEarly(settings);
}
