/**
 * The local DatabaseProvisioner: the database layer's SparkDatabases, as the spark role, on the
 * embedded server. Every call first makes sure the server is up (cheap when it is), and when the
 * server was restarted meanwhile (a crash, `spark local stop`, a new port) the connection is
 * opened afresh — so a long-lived backend survives what a single command would.
 */
import type { CheckResult, CopySource, CreatedDatabase, DatabaseBranches, DatabaseProvisioner, Isolation, SparkDatabase } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import { openSparkDatabases, type SparkDatabases } from '../../database/sparks.js';
import type { EmbeddedServer } from './embedded.js';

export class LocalDatabases implements DatabaseProvisioner {
  private current?: { pid: number; port: number; databases: SparkDatabases };

  constructor(
    private readonly server: EmbeddedServer,
    private readonly options: { isolation: Isolation; connectionLimit: number },
  ) {}

  private async databases(): Promise<SparkDatabases> {
    const connection = await this.server.ensure();
    if (this.current && this.current.pid === connection.pid && this.current.port === connection.port) return this.current.databases;
    await this.current?.databases.close();
    const databases = openSparkDatabases({
      host: connection.host,
      port: connection.port,
      user: connection.user,
      password: connection.password,
      database: connection.database,
      sslmode: 'disable',
      sparkHost: connection.host,
      isolation: this.options.isolation,
      connectionLimit: this.options.connectionLimit,
    }, { runtime: 'local' });
    this.current = { pid: connection.pid, port: connection.port, databases };
    return databases;
  }

  async plan(name: string, options: { createdAt: string }): Promise<CreatedDatabase> {
    return (await this.databases()).plan(name, options);
  }

  /** The database layer's branching, on the embedded server as it is at each call. */
  readonly branches: DatabaseBranches = delegate(async () => (await this.databases()).branches);

  async create(plan: CreatedDatabase, options: { createdAt: string; source?: CopySource }): Promise<void> {
    return (await this.databases()).create(plan, options);
  }

  async drop(name: string): Promise<'dropped' | 'absent'> {
    return (await this.databases()).drop(name);
  }

  async list(options?: { sizes?: boolean }): Promise<SparkDatabase[]> {
    return (await this.databases()).list(options);
  }

  async get(name: string): Promise<SparkDatabase | undefined> {
    return (await this.databases()).get(name);
  }

  /** The database layer's checks (connection, role, a throwaway create/drop) against the embedded server. */
  async checks(): Promise<CheckResult[]> {
    let databases: SparkDatabases;
    try {
      databases = await this.databases();
    } catch (error) {
      const e = error instanceof SparkError ? error : undefined;
      return [{ id: 'db-connection', title: 'Connect to the embedded PostgreSQL server', status: 'fail', blocking: true, detail: (error as Error).message, ...(e?.hint ? { fix: e.hint } : {}) }];
    }
    return databases.checks();
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.databases.close();
  }
}

/** Every method of DatabaseBranches, called on the object `resolve` gives at that moment. */
function delegate(resolve: () => Promise<DatabaseBranches>): DatabaseBranches {
  const call = <K extends keyof DatabaseBranches>(key: K) =>
    (async (...args: unknown[]) => {
      const target = await resolve();
      return (target[key] as (...a: unknown[]) => unknown).apply(target, args);
    }) as unknown as DatabaseBranches[K];
  return {
    snapshot: call('snapshot'),
    snapshots: call('snapshots'),
    restore: call('restore'),
    reset: call('reset'),
    dropSnapshot: call('dropSnapshot'),
    dropSnapshots: call('dropSnapshots'),
    createTemplate: call('createTemplate'),
    templates: call('templates'),
    dropTemplate: call('dropTemplate'),
    leftovers: call('leftovers'),
  };
}
