/**
 * Spark databases as the spark role sees them: create (quoted name, CONNECT/TEMP revoked from
 * PUBLIC, tagged, connection-limited), drop (forced, own databases only), list by tag, get.
 * In isolation mode each spark also gets its own login role owning its database.
 */
import type { Client } from 'pg';
import type { CheckResult, CreatedDatabase, DatabaseProvisioner, SparkDatabase } from '../core/ports.js';
import { SparkError } from '../errors.js';
import { validateName } from '../names/index.js';
import { registerSecret } from '../redact.js';
import { connect } from './connect.js';
import { queryError } from './errors.js';
import { executePlan, type SqlStep } from './plan.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { serverVersionNum } from './roles.js';
import { generatePassword, scramVerifier } from './scram.js';
import { databaseUrl, type DatabaseSettings } from './settings.js';
import { isolationRefused, ROLE_ISOLATION_MIN_VERSION } from './setup.js';

/** Marks a database as a spark's, so unrelated databases of the role are never mistaken for one. */
export const TAG_PREFIX = 'spark:';

export interface SparkTag {
  createdAt: string;
  /** The spark's own login role (isolation mode); absent when its URL uses the spark role. */
  role?: string;
}

export interface SparkDatabaseInfo extends SparkDatabase {
  /** Carries the spark tag (made by spark, not just a database of that name). */
  tagged: boolean;
  tag?: SparkTag;
}

export function parseTag(comment: string | null | undefined): SparkTag | undefined {
  if (!comment?.startsWith(TAG_PREFIX)) return undefined;
  try {
    const value = JSON.parse(comment.slice(TAG_PREFIX.length)) as Partial<SparkTag>;
    return { createdAt: String(value.createdAt ?? ''), ...(value.role ? { role: String(value.role) } : {}) };
  } catch {
    return { createdAt: '' };
  }
}

/** The per-spark role of isolation mode. */
export function sparkRoleName(sparkRole: string, name: string): string {
  return `${sparkRole}_${name}`;
}

export interface CreatePlanInput {
  name: string;
  connectionLimit: number;
  tag: SparkTag;
  /** Isolation mode: the spark's login role and its password verifier. */
  role?: { name: string; verifier: string };
}

/** The statements that make one spark's database. Pure; each runs alone (CREATE DATABASE cannot run in a transaction). */
export function planCreate(input: CreatePlanInput): SqlStep[] {
  const db = quoteIdent(input.name);
  const limit = Math.trunc(input.connectionLimit);
  const steps: SqlStep[] = [];
  if (input.role) {
    steps.push({
      description: `create login role ${input.role.name}`,
      sql: `CREATE ROLE ${quoteIdent(input.role.name)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${limit} PASSWORD ${quoteLiteral(input.role.verifier)}`,
    });
  }
  const owner = input.role ? ` OWNER ${quoteIdent(input.role.name)}` : '';
  steps.push(
    { description: `create database ${input.name}`, sql: `CREATE DATABASE ${db}${owner} CONNECTION LIMIT ${limit}` },
    // Database privileges are not copied from the template: PUBLIC can connect until this runs.
    { description: `revoke CONNECT and TEMPORARY on ${input.name} from PUBLIC`, sql: `REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC` },
    { description: `tag ${input.name} as a spark`, sql: `COMMENT ON DATABASE ${db} IS ${quoteLiteral(TAG_PREFIX + JSON.stringify(input.tag))}` },
  );
  return steps;
}

const DATABASE_COLUMNS = `
  d.datname AS name, pg_get_userbyid(d.datdba) AS owner, shobj_description(d.oid, 'pg_database') AS comment,
  CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END AS size,
  (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid)::int AS connections`;

function toInfo(row: Record<string, unknown>): SparkDatabaseInfo {
  const tag = parseTag(row.comment as string | null);
  return {
    name: String(row.name),
    owner: String(row.owner),
    sizeBytes: row.size == null ? undefined : Number(row.size),
    createdAt: tag?.createdAt || undefined,
    connections: Number(row.connections),
    tagged: tag !== undefined,
    tag,
  };
}

export class SparkDatabases implements DatabaseProvisioner {
  private client?: Promise<Client>;
  /** Calls share one connection, one at a time: core runs get/create/drop concurrently. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly settings: DatabaseSettings) {
    registerSecret(settings.password);
  }

  /** The one admin connection to POSTGRES_DB as the spark role, opened on first use. */
  connection(): Promise<Client> {
    if (!this.client) {
      this.client = connect(this.settings);
      this.client.catch(() => (this.client = undefined));
    }
    return this.client;
  }

  /** Run `work` alone on the shared connection. */
  exclusive<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => work(await this.connection()));
    this.queue = run.catch(() => {});
    return run;
  }

  /** What create will make; known before it runs, so runtime objects can be made concurrently. */
  async plan(name: string, _options?: { createdAt: string }): Promise<CreatedDatabase> {
    validateName(name);
    const { settings } = this;
    const url = (user: string, password: string) => databaseUrl({ user, password, host: settings.sparkHost, port: settings.port, database: name, sslmode: settings.sslmode });
    if (settings.isolation !== 'role') return { databaseName: name, databaseUrl: url(settings.user, settings.password) };
    const role = sparkRoleName(settings.user, name);
    quoteIdent(role); // fails early if the role name would be too long
    const password = generatePassword();
    registerSecret(password);
    return { databaseName: name, databaseUrl: url(role, password), role };
  }

  /** plan + create in one call: the spark's database URL (and role, in isolation mode). */
  async provision(name: string, options: { createdAt: string }): Promise<CreatedDatabase> {
    const plan = await this.plan(name, options);
    await this.create(plan, options);
    return plan;
  }

  /** Make the database `plan()` described. Leaves nothing behind on failure. */
  async create(plan: CreatedDatabase, options: { createdAt: string }): Promise<void> {
    const name = validateName(plan.databaseName);
    await this.exclusive(async (client) => {
      const existing = await getDatabase(client, name);
      if (existing) throw queryError(Object.assign(new Error('exists'), { code: '42P04' }), { operation: 'create', name, isSpark: existing.tagged });

      let role: CreatePlanInput['role'];
      if (plan.role) {
        await this.requireRoleIsolation(client);
        const password = decodeURIComponent(new URL(plan.databaseUrl).password);
        role = { name: plan.role, verifier: scramVerifier(password) };
        // A role left by an interrupted create of this name (its database does not exist: checked above).
        await this.dropRoleIfOurs(client, plan.role);
      }
      const steps = planCreate({ name, connectionLimit: this.settings.connectionLimit, tag: { createdAt: options.createdAt, ...(plan.role ? { role: plan.role } : {}) }, role });
      const done: SqlStep[] = [];
      try {
        await executePlan(client, steps, { onStep: (step) => done.push(step) });
      } catch (error) {
        const failed = done.pop();
        if (done.some((s) => s.sql.startsWith('CREATE DATABASE'))) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => {});
        if (role && done.some((s) => s.sql.startsWith('CREATE ROLE'))) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role.name)}`).catch(() => {});
        const isSpark = failed?.sql.startsWith('CREATE DATABASE') ? (await getDatabase(client, name).catch(() => undefined))?.tagged : undefined;
        throw queryError(error, { operation: 'create', name, role: this.settings.user, isSpark });
      }
    });
  }

  async drop(name: string): Promise<'dropped' | 'absent'> {
    validateName(name);
    const user = this.settings.user;
    return this.exclusive(async (client) => {
      const { rows } = await client
        .query(`SELECT pg_get_userbyid(datdba) AS owner, pg_has_role(current_user, datdba, 'USAGE') AS mine FROM pg_database WHERE datname = $1`, [name])
        .catch((error: unknown) => { throw queryError(error, { role: user }); });
      const row = rows[0];
      if (row) {
        if (!row.mine) throw queryError(Object.assign(new Error('must be owner'), { code: '42501' }), { operation: 'drop', name, role: user, owner: String(row.owner) });
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch((error: unknown) => {
          throw queryError(error, { operation: 'drop', name, role: user, owner: String(row.owner) });
        });
      }
      // Isolation mode: the spark's own role goes after its database (it cannot be dropped while owning one).
      await this.dropRoleIfOurs(client, sparkRoleName(user, name));
      return row ? 'dropped' : 'absent';
    });
  }

  /** Drop a per-spark role only if it exists and the spark role administers it (made it). */
  private async dropRoleIfOurs(client: Client, role: string): Promise<void> {
    const { rows } = await client.query(`SELECT pg_has_role(current_user, oid, 'USAGE') AS ours FROM pg_roles WHERE rolname = $1`, [role]);
    if (!rows[0]?.ours) return;
    await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`).catch((error: unknown) => {
      throw queryError(error, { operation: 'drop', name: role, role: this.settings.user });
    });
  }

  private async requireRoleIsolation(client: Client): Promise<void> {
    const version = await serverVersionNum(client);
    if (version.num < ROLE_ISOLATION_MIN_VERSION) throw isolationRefused(version.num);
    const { rows } = await client.query('SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.rolcreaterole) {
      throw new SparkError(`Isolation mode "role" needs the ${this.settings.user} role to have CREATEROLE.`, {
        hint: 'As a superuser: spark admin setup-db --superuser-url URL --isolation role',
        code: 'DB_ISOLATION_NOT_SET_UP',
      });
    }
  }

  /** Spark databases, found by their tag. */
  list(): Promise<SparkDatabaseInfo[]> {
    return this.exclusive(async (client) => {
      const { rows } = await client
        .query(`SELECT ${DATABASE_COLUMNS} FROM pg_database d WHERE shobj_description(d.oid, 'pg_database') LIKE 'spark:%' ORDER BY d.datname`)
        .catch((error: unknown) => { throw queryError(error, { role: this.settings.user }); });
      return rows.map(toInfo);
    });
  }

  /** The database of that name, tagged or not (a name is taken either way). */
  get(name: string): Promise<SparkDatabaseInfo | undefined> {
    return this.exclusive((client) => getDatabase(client, name).catch((error: unknown) => { throw queryError(error, { role: this.settings.user }); }));
  }

  async checks(): Promise<CheckResult[]> {
    const { databaseChecks } = await import('./checks.js');
    return databaseChecks(this.settings);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await this.queue;
    if (client) await (await client.catch(() => undefined))?.end().catch(() => {});
  }
}

async function getDatabase(client: Client, name: string): Promise<SparkDatabaseInfo | undefined> {
  const { rows } = await client.query(`SELECT ${DATABASE_COLUMNS} FROM pg_database d WHERE d.datname = $1`, [name]);
  return rows[0] ? toInfo(rows[0]) : undefined;
}

/** The facade the lifecycle code calls. Nothing connects until the first call. */
export function openSparkDatabases(settings: DatabaseSettings): SparkDatabases {
  return new SparkDatabases(settings);
}
