/**
 * Spark databases as the spark role sees them: create (quoted name, CONNECT/TEMP revoked from
 * PUBLIC, tagged, connection-limited), drop (forced, own databases only), list by tag, get.
 * In isolation mode each spark also gets its own login role owning its database.
 */
import type { Client } from 'pg';
import type { CheckResult, CopySource, CreatedDatabase, DatabaseProvisioner, LoginResult, RuntimeKind, SparkDatabase } from '../core/ports.js';
import { SparkBranches } from './branches.js';
import { SparkError } from '../errors.js';
import { validateName } from '../names/index.js';
import { registerSecret } from '../redact.js';
import { connect } from './connect.js';
import { adoptEarly } from './early.js';
import { queryError } from './errors.js';
import { executePlan, inTransaction, type SqlStep } from './plan.js';
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
  /** The golden template its database started from (`spark db reset` goes back to it). */
  template?: string;
  /** Where the spark lives. Tags made before these existed: the runtime asking, namespace `spark`. */
  runtime?: RuntimeKind;
  namespace?: string;
}

/** Whose databases a provisioner sees: one runtime and, on Kubernetes, one namespace. */
export interface TagScope {
  runtime: RuntimeKind;
  namespace?: string;
}

export const DEFAULT_NAMESPACE = 'spark';

export interface SparkDatabaseInfo extends SparkDatabase {
  /** Carries any spark tag (made by spark, not just a database of that name). */
  tagged: boolean;
  tag?: SparkTag;
}

export function parseTag(comment: string | null | undefined): SparkTag | undefined {
  if (!comment?.startsWith(TAG_PREFIX)) return undefined;
  try {
    const value = JSON.parse(comment.slice(TAG_PREFIX.length)) as Partial<SparkTag>;
    return {
      createdAt: String(value.createdAt ?? ''),
      ...(value.role ? { role: String(value.role) } : {}),
      ...(value.template ? { template: String(value.template) } : {}),
      ...(value.runtime === 'kubernetes' || value.runtime === 'local' ? { runtime: value.runtime } : {}),
      ...(value.namespace ? { namespace: String(value.namespace) } : {}),
    };
  } catch {
    return { createdAt: '' };
  }
}

/** The tag's owner in words, e.g. "namespace spark" or "the local runtime". */
export function tagOwner(tag: SparkTag, scope: TagScope): string {
  const runtime = tag.runtime ?? scope.runtime;
  return runtime === 'kubernetes' ? `namespace ${tag.namespace ?? DEFAULT_NAMESPACE}` : 'the local runtime';
}

/** Does the tag say the database belongs to this scope? (No scope: every tag does.) */
export function inScope(tag: SparkTag | undefined, scope: TagScope | undefined): boolean {
  if (!tag) return false;
  if (!scope) return true;
  if ((tag.runtime ?? scope.runtime) !== scope.runtime) return false;
  return scope.runtime !== 'kubernetes' || (tag.namespace ?? DEFAULT_NAMESPACE) === (scope.namespace ?? DEFAULT_NAMESPACE);
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
  /** ` TEMPLATE "src" STRATEGY …`: the database starts as a copy (fork, golden template). */
  templateClause?: string;
}

/**
 * The statements that make one spark's database. Pure; each runs alone (CREATE DATABASE cannot run
 * in a transaction). The database is made closed (and the spark's role without LOGIN) and opened
 * last, once its tag and privileges are in place: a create killed at any step leaves nothing that
 * PUBLIC or another spark's role can open.
 */
export function planCreate(input: CreatePlanInput): SqlStep[] {
  const db = quoteIdent(input.name);
  const limit = Math.trunc(input.connectionLimit);
  const steps: SqlStep[] = [];
  if (input.role) {
    steps.push({
      description: `create role ${input.role.name} (no login yet)`,
      sql: `CREATE ROLE ${quoteIdent(input.role.name)} WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${limit} PASSWORD ${quoteLiteral(input.role.verifier)}`,
    });
  }
  const owner = input.role ? ` OWNER ${quoteIdent(input.role.name)}` : '';
  steps.push(
    { description: `create database ${input.name}, closed to connections`, sql: `CREATE DATABASE ${db}${owner}${input.templateClause ?? ''} CONNECTION LIMIT ${limit} ALLOW_CONNECTIONS false` },
    { description: `tag ${input.name} as a spark`, sql: `COMMENT ON DATABASE ${db} IS ${quoteLiteral(TAG_PREFIX + JSON.stringify(input.tag))}` },
    // Database privileges are not copied from the template: PUBLIC could connect but for this.
    { description: `revoke CONNECT and TEMPORARY on ${input.name} from PUBLIC`, sql: `REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC` },
    { description: `open ${input.name} to connections`, sql: `ALTER DATABASE ${db} ALLOW_CONNECTIONS true` },
  );
  if (input.role) steps.push({ description: `let ${input.role.name} log in`, sql: `ALTER ROLE ${quoteIdent(input.role.name)} WITH LOGIN` });
  return steps;
}

/** `sizes`: pg_database_size, which reads the directory of each database (the cost of a list at 1,000 sparks). */
const databaseColumns = (sizes: boolean): string => `
  d.datname AS name, pg_get_userbyid(d.datdba) AS owner, shobj_description(d.oid, 'pg_database') AS comment,
  ${sizes ? "CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END" : 'NULL::bigint'} AS size,
  (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid)::int AS connections, NOT d.datallowconn AS closed,
  pg_has_role(current_user, d.datdba, 'USAGE') AS mine`;

function toInfo(row: Record<string, unknown>): SparkDatabaseInfo & { mine?: boolean } {
  const tag = parseTag(row.comment as string | null);
  return {
    name: String(row.name),
    owner: String(row.owner),
    sizeBytes: row.size == null ? undefined : Number(row.size),
    createdAt: tag?.createdAt || undefined,
    connections: Number(row.connections),
    ...(row.closed ? { closed: true } : {}),
    ...(row.mine ? { mine: true } : {}),
    tagged: tag !== undefined,
    tag,
  };
}

export class SparkDatabases implements DatabaseProvisioner {
  private client?: Promise<Client>;
  /** Snapshots, restore, reset, golden templates (database/branches.ts), on the same connection. */
  readonly branches: SparkBranches = new SparkBranches(this);
  /** Calls share one connection, one at a time: core runs get/create/drop concurrently. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly settings: DatabaseSettings,
    /** Whose databases list/get/create mean; undefined: every spark-tagged database (admin work). */
    readonly scope?: TagScope,
  ) {
    registerSecret(settings.password);
  }

  /** Names of spark's own admin database and role: never a spark's. */
  private get reserved(): string[] {
    return [this.settings.database, this.settings.user];
  }

  /** The one admin connection to POSTGRES_DB as the spark role, opened on first use. */
  connection(): Promise<Client> {
    if (!this.client) {
      this.client = adoptEarly(this.settings) ?? connect(this.settings);
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
    validateName(name, this.reserved);
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
  async create(plan: CreatedDatabase, options: { createdAt: string; source?: CopySource }): Promise<void> {
    const name = validateName(plan.databaseName, this.reserved);
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
      const { source } = options;
      const tag: SparkTag = { createdAt: options.createdAt, ...(plan.role ? { role: plan.role } : {}), ...(source?.kind === 'template' ? { template: source.name } : {}), ...this.scope };
      const done: SqlStep[] = [];
      const make = async (templateClause?: string): Promise<void> => {
        const steps = planCreate({ name, connectionLimit: this.settings.connectionLimit, tag, role, templateClause });
        // Isolation mode and a copy: its objects become the new role's before that role may log in.
        const login = role && templateClause ? steps.pop() : undefined;
        await executePlan(client, steps, { onStep: (step) => done.push(step) });
        if (role && templateClause) {
          await this.adoptObjects(name, role.name);
          await executePlan(client, [login!], { onStep: (step) => done.push(step) });
        }
      };
      try {
        if (source) await this.branches.copyInto(client, source, async (from) => make(await this.branches.templateClause(client, from)));
        else await make();
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
    validateName(name, this.reserved);
    const user = this.settings.user;
    return this.exclusive(async (client) => {
      const { rows } = await client
        .query(`SELECT pg_get_userbyid(datdba) AS owner, pg_has_role(current_user, datdba, 'USAGE') AS mine FROM pg_database WHERE datname = $1`, [name])
        .catch((error: unknown) => { throw queryError(error, { role: user }); });
      const row = rows[0];
      if (row) {
        if (!row.mine) throw queryError(Object.assign(new Error('must be owner'), { code: '42501' }), { operation: 'drop', name, role: user, owner: String(row.owner) });
        await dropForced(client, name).catch((error: unknown) => {
          throw queryError(error, { operation: 'drop', name, role: user, owner: String(row.owner) });
        });
      }
      // Isolation mode: the spark's own role goes after its database (it cannot be dropped while owning one).
      // Snapshots kept with --keep-snapshots still hold its objects: it then stays, unable to log in,
      // until the last of them is dropped (database/branches.ts).
      await this.dropRoleIfOurs(client, sparkRoleName(user, name), { whileHeld: 'nologin' });
      return row ? 'dropped' : 'absent';
    });
  }

  /**
   * A copy made in isolation mode holds objects of the source spark's role: give them to the new
   * spark's role. REASSIGN OWNED also moves the databases the old role owns (its spark's), so they
   * are given back in the same transaction: no one sees them change hands. Objects of any other
   * role (the spark role itself: a shared-mode source) cannot be moved that safely: refused.
   */
  async adoptObjects(database: string, newRole: string): Promise<void> {
    const session = await connect({ ...this.settings, database });
    try {
      const { rows } = await session.query(
        `SELECT r.rolname AS owner, r.rolname = current_user AS self, pg_has_role(current_user, r.oid, 'USAGE') AND NOT r.rolsuper AS ours
           FROM (SELECT nspowner AS o FROM pg_namespace UNION SELECT relowner FROM pg_class UNION SELECT proowner FROM pg_proc UNION SELECT typowner FROM pg_type) x
           JOIN pg_roles r ON r.oid = x.o
          WHERE r.rolname <> $1 AND r.rolname <> 'pg_database_owner' AND NOT r.rolsuper`,
        [newRole],
      );
      const foreign = rows.filter((r) => r.self || !r.ours || !String(r.owner).startsWith(`${this.settings.user}_`));
      if (foreign.length) {
        throw new SparkError(`The copied database holds objects of ${[...new Set(foreign.map((r) => String(r.owner)))].join(', ')}, which a spark's own role cannot be given (SPARK_DB_ISOLATION=role).`, {
          hint: 'In isolation mode, fork sparks that have their own role (made with SPARK_DB_ISOLATION=role), or create this one with SPARK_DB_ISOLATION=shared.',
          code: 'UNSUPPORTED',
        });
      }
      for (const owner of new Set(rows.map((r) => String(r.owner)))) {
        await inTransaction(session, async () => {
          const { rows: owned } = await session.query(`SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)`, [owner]);
          await session.query(`REASSIGN OWNED BY ${quoteIdent(owner)} TO ${quoteIdent(newRole)}`);
          for (const row of owned) await session.query(`ALTER DATABASE ${quoteIdent(String(row.datname))} OWNER TO ${quoteIdent(owner)}`);
        });
      }
    } finally {
      await session.end().catch(() => {});
    }
  }

  /** Drop a per-spark role only if it exists and the spark role administers it (made it). */
  async dropRoleIfOurs(client: Client, role: string, options: { whileHeld?: 'nologin' | 'keep' } = {}): Promise<void> {
    const { rows } = await client.query(`SELECT pg_has_role(current_user, oid, 'USAGE') AS ours FROM pg_roles WHERE rolname = $1`, [role]);
    if (!rows[0]?.ours) return;
    await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`).catch(async (error: unknown) => {
      // 2BP01: objects in other databases (kept snapshots) still depend on it.
      if ((error as { code?: string }).code === '2BP01' && options.whileHeld) {
        if (options.whileHeld === 'nologin') await client.query(`ALTER ROLE ${quoteIdent(role)} WITH NOLOGIN`);
        return;
      }
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

  /** Spark databases of this scope, found by their tag; `sizes`: with their sizes (slow with many). */
  list(options: { sizes?: boolean } = {}): Promise<SparkDatabaseInfo[]> {
    return this.exclusive((client) => this.listOn(client, options));
  }

  /** list() on a connection already held (inside exclusive()). */
  async listOn(client: Client, options: { sizes?: boolean } = {}): Promise<SparkDatabaseInfo[]> {
    const { rows } = await client
      // With the closed, untagged databases of the role: a create killed before it tagged one
      // (not the "@" names of snapshots and templates: database/branches.ts repairs those).
      .query(`SELECT ${databaseColumns(Boolean(options.sizes))} FROM pg_database d WHERE shobj_description(d.oid, 'pg_database') LIKE 'spark:%' OR (NOT d.datallowconn AND NOT d.datistemplate AND d.datname NOT LIKE '%@%' AND shobj_description(d.oid, 'pg_database') IS NULL AND pg_has_role(current_user, d.datdba, 'USAGE')) ORDER BY d.datname`)
      .catch((error: unknown) => { throw queryError(error, { role: this.settings.user }); });
    return rows.map((row) => this.scoped(toInfo(row))).filter((d) => d.ours);
  }

  /** The database of that name, tagged or not (a name is taken either way); `ours` says whether it is this scope's spark's. */
  get(name: string): Promise<SparkDatabaseInfo | undefined> {
    return this.exclusive(async (client) => {
      const found = await getDatabase(client, name).catch((error: unknown) => { throw queryError(error, { role: this.settings.user }); });
      return found && this.scoped(found);
    });
  }

  private scoped(info: SparkDatabaseInfo & { mine?: boolean }): SparkDatabaseInfo {
    const { mine, ...rest } = info;
    // Untagged but closed and the role's: only an interrupted create leaves such a database.
    const ours = inScope(info.tag, this.scope) || (!info.tag && Boolean(info.closed) && Boolean(mine));
    info = rest;
    return { ...info, ours, ...(!ours && info.tag && this.scope ? { belongsTo: tagOwner(info.tag, this.scope) } : {}) };
  }

  /**
   * Log in with a spark's DATABASE_URL and out again, no query. At the CLI's own server address:
   * the URL's host is the pods' view of the server (SPARK_DATABASE_HOST), which this machine may not resolve.
   */
  async login(databaseUrl: string): Promise<LoginResult> {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      return { ok: false, rejected: false, reason: 'its DATABASE_URL is not a valid URL' };
    }
    const { host, port, sslmode } = this.settings;
    const target = { host, port, sslmode, user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: decodeURIComponent(url.pathname.slice(1)) };
    try {
      await (await connect(target)).end().catch(() => {});
      return { ok: true };
    } catch (error) {
      return { ok: false, rejected: error instanceof SparkError && error.code === 'DB_AUTH_FAILED', reason: (error as Error).message };
    }
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

/**
 * DROP DATABASE … WITH (FORCE). A connection of another role that was just refused (no CONNECT)
 * lingers for a moment, and terminating it is not the spark role's right: try again shortly.
 */
async function dropForced(client: Client, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      return;
    } catch (error) {
      const e = error as { code?: string; routine?: string };
      if (attempt >= 10 || e.code !== '42501' || e.routine !== 'TerminateOtherDBBackends') throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

async function getDatabase(client: Client, name: string): Promise<SparkDatabaseInfo | undefined> {
  const { rows } = await client.query(`SELECT ${databaseColumns(true)} FROM pg_database d WHERE d.datname = $1`, [name]);
  return rows[0] ? toInfo(rows[0]) : undefined;
}

/** The facade the lifecycle code calls. Nothing connects until the first call. */
export function openSparkDatabases(settings: DatabaseSettings, scope?: TagScope): SparkDatabases {
  return new SparkDatabases(settings, scope);
}
