/**
 * The local runtime: sparks on this machine, their databases on an embedded PostgreSQL server
 * that spark manages itself. What the CLI imports (lazily) lives here.
 */
import type { Config } from '../../config/index.js';
import type { Backend } from '../../core/backend.js';
import type { Isolation } from '../../core/ports.js';
import { LocalDatabases } from './databases.js';
import { EmbeddedServer } from './embedded.js';
import { LocalRuntime } from './runtime.js';

export { embeddedStatus, stopEmbedded, EmbeddedServer, type EmbeddedStatus, type EmbeddedConnection } from './embedded.js';
export { LocalRuntime } from './runtime.js';
export { LocalDatabases } from './databases.js';
export { hasLocalData, hasLocalSpark, hasLocalSparks, localSparkNames } from './presence.js';

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
