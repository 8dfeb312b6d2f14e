/**
 * The local runtime: sparks on this machine, their databases on an embedded PostgreSQL server
 * that spark manages itself. What the CLI imports (lazily) lives here.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Config } from '../../config/index.js';
import type { Backend } from '../../core/backend.js';
import type { Isolation } from '../../core/ports.js';
import { nameProblem } from '../../names/index.js';
import { LocalDatabases } from './databases.js';
import { EmbeddedServer } from './embedded.js';
import { layoutOf, leftoversOf, workspaceOf } from './layout.js';
import { LocalRuntime } from './runtime.js';

export { embeddedStatus, stopEmbedded, EmbeddedServer, type EmbeddedStatus, type EmbeddedConnection } from './embedded.js';
export { LocalRuntime } from './runtime.js';
export { LocalDatabases } from './databases.js';

/**
 * The local Backend. Starts the embedded server (initialising it and the spark role on first use)
 * before returning, so the command's own work is fast; a failure to start is remembered and
 * reported by the first operation that needs the server (and by doctor's checks), so
 * `spark doctor` still runs.
 */
export async function openLocalBackend(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Backend> {
  const isolation = (config.get('SPARK_DB_ISOLATION') ?? 'shared') as Isolation;
  const server = new EmbeddedServer(config.require('SPARK_DATA_DIR'), { isolation });
  await server.ensure().catch(() => {});
  const runtime = new LocalRuntime(server, env);
  const databases = new LocalDatabases(server, { isolation, connectionLimit: Number(config.get('SPARK_DB_CONNECTION_LIMIT') ?? '20') });
  return { kind: 'local', runtime, databases, close: () => databases.close() };
}

/** Does the data directory hold any local spark, or the remains of one? Cheap (one directory read); starts nothing. */
export async function hasLocalSparks(config: Config): Promise<boolean> {
  try {
    return readdirSync(layoutOf(config.require('SPARK_DATA_DIR')).sparksDir).some((entry) => !nameProblem(entry) || entry.startsWith('.deleting-'));
  } catch {
    return false;
  }
}

/** Is `name` a local spark (has a workspace, or the remains of one being deleted)? Starts nothing. */
export async function hasLocalSpark(config: Config, name: string): Promise<boolean> {
  if (nameProblem(name)) return false;
  const layout = layoutOf(config.require('SPARK_DATA_DIR'));
  return existsSync(workspaceOf(layout, name).dir) || leftoversOf(layout, name).length > 0;
}

/** Has the local runtime been used here (its data directory holds a server or sparks)? */
export function hasLocalData(config: Config): boolean {
  const layout = layoutOf(config.require('SPARK_DATA_DIR'));
  return existsSync(layout.stateFile) || existsSync(layout.sparksDir);
}

/** The names of the local workspaces (for "did you mean"). */
export function localSparkNames(config: Config): string[] {
  try {
    return readdirSync(layoutOf(config.require('SPARK_DATA_DIR')).sparksDir).filter((entry) => !nameProblem(entry));
  } catch {
    return [];
  }
}
