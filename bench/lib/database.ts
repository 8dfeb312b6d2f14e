/** The database layer's facade (src/database), opened as spark opens it, for create/drop alone and seeding. */
import type { DatabaseProvisioner } from '../../src/core/ports.js';
import { openSparkDatabases } from '../../src/database/index.js';
import type { PgServer } from './postgres.js';

export async function openDatabaseFacade(server: PgServer): Promise<DatabaseProvisioner> {
  const s = server.spark;
  const facade = openSparkDatabases({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
    sslmode: 'disable',
    sparkHost: s.host,
    isolation: 'shared',
    connectionLimit: 20,
  });
  // Connect now, so a server that cannot be used shows here rather than inside a timed run.
  await facade.list();
  return facade;
}
