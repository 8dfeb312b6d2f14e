/**
 * Database branching as the spark role sees it: snapshots, restore, reset and golden templates,
 * all made with CREATE DATABASE … TEMPLATE on the same server (no superuser, no pg_dump).
 *
 * Every copy is made closed (ALLOW_CONNECTIONS false), then tagged and its CONNECT revoked from
 * PUBLIC; snapshots and templates stay closed for good. Their names carry an "@", which no spark
 * name can hold, so they never collide with a spark; the tag (a COMMENT, `spark-branch:{…}`) is
 * what says whose they are. A copy needs its source free of sessions: the spark's database is
 * closed, its sessions ended (the spark role may end its own and its sparks' roles' sessions),
 * copied, and opened again — marked "busy" in its tag meanwhile, so a copy killed half-way is
 * repaired by the next branching command (or doctor).
 */
import type { Client } from 'pg';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { BranchLeftover, CopyReport, CopySource, DatabaseBranches, DatabaseSnapshot, DatabaseTemplate } from '../core/ports.js';
import { SparkError, usageError } from '../errors.js';
import { processRunning } from '../process.js';
import { queryError } from './errors.js';
import { inTransaction } from './plan.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { serverVersionNum } from './roles.js';
import { inScope, parseTag, sparkRoleName, TAG_PREFIX, type SparkDatabases, type SparkTag, type TagScope } from './sparks.js';

/** Tags of snapshots, templates and the temporary databases of a restore. Not `spark:`: they are no spark's database. */
export const BRANCH_TAG_PREFIX = 'spark-branch:';

export type BranchKind = 'snapshot' | 'template' | 'incoming' | 'previous';

export interface BranchTag {
  kind: BranchKind;
  createdAt: string;
  /** The spark it belongs to (snapshot, incoming, previous) or was made from (template). */
  spark?: string;
  id?: string;
  label?: string;
  /** Template name. */
  name?: string;
  runtime?: TagScope['runtime'];
  namespace?: string;
  /** `previous`: the spark database's own comment, to put back if the swap is undone. */
  sparkComment?: string;
}

/** Held in a spark's tag while a copy has its database closed: who, so a dead copier's close can be undone. */
interface BusyMark {
  host: string;
  pid: number;
  since: string;
}

const MAX_DB_NAME = 63;
export const SNAPSHOT_ID = /^[a-z0-9]{6}$/;
/** Below this size a copy uses STRATEGY WAL_LOG, above it FILE_COPY (see strategy()). */
export const WAL_LOG_BELOW_BYTES = 50 * 1024 * 1024;
/** How long to wait for ended sessions to go away, per session (pg_terminate_backend's timeout). */
const TERMINATE_WAIT_MS = 5_000;

export function parseBranchTag(comment: string | null | undefined): BranchTag | undefined {
  if (!comment?.startsWith(BRANCH_TAG_PREFIX)) return undefined;
  try {
    const tag = JSON.parse(comment.slice(BRANCH_TAG_PREFIX.length)) as BranchTag;
    return typeof tag.kind === 'string' ? tag : undefined;
  } catch {
    return undefined;
  }
}

/** `<spark>@<suffix>`, the spark part shortened when needed so the whole fits 63 bytes (the tag keeps the full name). */
export function branchDatabaseName(spark: string, suffix: string): string {
  return `${spark.slice(0, MAX_DB_NAME - suffix.length - 1)}@${suffix}`;
}

export function templateDatabaseName(name: string): string {
  return `${name}@template`;
}

export function newSnapshotId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}

export function validateSnapshotId(id: string): string {
  if (!SNAPSHOT_ID.test(id)) throw usageError(`Invalid snapshot id ${JSON.stringify(id)}: ids are 6 lowercase letters and digits.`, 'See the ids with: spark db snapshots NAME');
  return id;
}

const BRANCH_COLUMNS = `d.datname AS name, shobj_description(d.oid, 'pg_database') AS comment, d.datallowconn AS open,
  pg_has_role(current_user, d.datdba, 'USAGE') AS mine,
  CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END AS size`;

interface BranchRow {
  name: string;
  tag?: BranchTag;
  open: boolean;
  mine: boolean;
  sizeBytes: number | null;
}

function toBranchRow(row: Record<string, unknown>): BranchRow {
  return { name: String(row.name), tag: parseBranchTag(row.comment as string | null), open: Boolean(row.open), mine: Boolean(row.mine), sizeBytes: row.size == null ? null : Number(row.size) };
}

function toSnapshot(row: BranchRow): DatabaseSnapshot {
  const tag = row.tag!;
  return { id: tag.id ?? '', spark: tag.spark ?? '', label: tag.label ?? null, sizeBytes: row.sizeBytes, createdAt: tag.createdAt, database: row.name };
}

function toTemplate(row: BranchRow): DatabaseTemplate {
  const tag = row.tag!;
  return { name: tag.name ?? '', from: tag.spark ?? null, sizeBytes: row.sizeBytes, createdAt: tag.createdAt, database: row.name };
}

/** The spark database's tag with its busy mark, read raw (the mark is not part of SparkTag). */
function readSparkComment(comment: string | null | undefined): { tag: SparkTag; raw: Record<string, unknown>; busy?: BusyMark } | undefined {
  const tag = parseTag(comment);
  if (!tag || !comment) return undefined;
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(comment.slice(TAG_PREFIX.length)) as Record<string, unknown>;
  } catch {
    /* an unreadable tag is still a tag */
  }
  const busy = raw.busy as BusyMark | undefined;
  return { tag, raw, busy: busy && typeof busy.pid === 'number' ? busy : undefined };
}

function sparkComment(raw: Record<string, unknown>): string {
  return TAG_PREFIX + JSON.stringify(raw);
}

/** Is the copier that marked a database busy still at work? A dead process on this machine is not. */
function busyHolds(mark: BusyMark): boolean {
  if (mark.host !== hostname()) return Date.now() - Date.parse(mark.since) < 60 * 60_000;
  return processRunning(mark.pid);
}

export class SparkBranches implements DatabaseBranches {
  constructor(private readonly databases: SparkDatabases) {}

  private get scope(): TagScope | undefined {
    return this.databases.scope;
  }

  private get role(): string {
    return this.databases.settings.user;
  }

  private fail(error: unknown, name?: string): never {
    throw queryError(error, { role: this.role, name });
  }

  private scopeFields(): Pick<BranchTag, 'runtime' | 'namespace'> {
    return { ...(this.scope?.runtime ? { runtime: this.scope.runtime } : {}), ...(this.scope?.namespace ? { namespace: this.scope.namespace } : {}) };
  }

  /** Every branch database of this scope, plus the untagged closed "@" databases of the role (a copy killed before its tag). One query. */
  private async rows(client: Client): Promise<BranchRow[]> {
    const { rows } = await client
      .query(`SELECT ${BRANCH_COLUMNS} FROM pg_database d
               WHERE shobj_description(d.oid, 'pg_database') LIKE 'spark-branch:%'
                  OR (d.datname LIKE '%@%' AND NOT d.datallowconn AND shobj_description(d.oid, 'pg_database') IS NULL AND pg_has_role(current_user, d.datdba, 'USAGE'))
               ORDER BY d.datname`)
      .catch((error: unknown) => this.fail(error));
    return rows.map(toBranchRow).filter((row) => !row.tag || inScope({ createdAt: '', runtime: row.tag.runtime, namespace: row.tag.namespace }, this.scope));
  }

  /** The spark's database, which must be this scope's spark's (tagged). */
  private async sparkDatabase(client: Client, spark: string): Promise<{ comment: string; raw: Record<string, unknown>; tag: SparkTag; busy?: BusyMark; owner: string; limit: number; open: boolean }> {
    const { rows } = await client
      .query(`SELECT shobj_description(d.oid, 'pg_database') AS comment, pg_get_userbyid(d.datdba) AS owner, d.datconnlimit AS limit, d.datallowconn AS open FROM pg_database d WHERE d.datname = $1`, [spark])
      .catch((error: unknown) => this.fail(error, spark));
    const row = rows[0];
    if (!row) {
      throw new SparkError(`The spark "${spark}" has no database.`, { hint: `See your sparks and their databases with: spark list`, code: 'NOT_FOUND' });
    }
    const parsed = readSparkComment(row.comment as string | null);
    if (!parsed || !inScope(parsed.tag, this.scope)) {
      throw new SparkError(`The database "${spark}" is not a spark's database here: ${parsed ? 'it belongs to a spark of another runtime or namespace' : 'spark did not make it (it has no spark tag)'}.`, {
        hint: parsed?.tag.namespace ? `If you meant that spark: spark -n ${parsed.tag.namespace} db …` : 'Only databases spark made can be snapshotted, restored or copied. See them with: spark list',
        code: 'DB_NOT_SPARKS',
      });
    }
    return { comment: String(row.comment), ...parsed, owner: String(row.owner), limit: Number(row.limit), open: Boolean(row.open) };
  }

  /**
   * `CREATE DATABASE … TEMPLATE` strategy for this server and source (PostgreSQL 15+ has the
   * choice). Measured (`npm run bench -- branching`, README): WAL_LOG is faster for small databases
   * (no checkpoints), FILE_COPY for large ones (no WAL for every page); they cross near 50 MB.
   * FILE_COPY on PostgreSQL 18 with file_copy_method=clone reflinks the files where the file system can.
   */
  private async strategy(client: Client, source: string): Promise<{ clause: string; name: string }> {
    const version = await serverVersionNum(client);
    if (version.num < 150000) return { clause: '', name: 'FILE_COPY' };
    const { rows } = await client.query(
      `SELECT current_setting('file_copy_method', true) AS method, (SELECT pg_database_size(oid) FROM pg_database WHERE datname = $1) AS size`,
      [source],
    );
    const method = rows[0]?.method ? String(rows[0].method).toLowerCase() : undefined;
    if (Number(rows[0]?.size ?? 0) < WAL_LOG_BELOW_BYTES && method !== 'clone') return { clause: ' STRATEGY WAL_LOG', name: 'WAL_LOG' };
    return { clause: ' STRATEGY FILE_COPY', name: method === 'clone' ? 'FILE_COPY (clone)' : 'FILE_COPY' };
  }

  /**
   * Run `copy` while the spark's database has no sessions: close it (marked busy in its tag),
   * end its sessions, copy, open it again. Only this database is touched.
   */
  private async whileClosed<T>(client: Client, spark: string, copy: () => Promise<T>): Promise<{ result: T; endedSessions: number }> {
    const db = await this.sparkDatabase(client, spark);
    if (db.busy && busyHolds(db.busy)) {
      throw new SparkError(`Another spark command is copying the database of "${spark}" right now (pid ${db.busy.pid} on ${db.busy.host}, since ${db.busy.since}).`, {
        hint: `Wait for it to finish, then run this again.`,
        code: 'DB_BUSY',
      });
    }
    const ident = quoteIdent(spark);
    const original = { ...db.raw };
    delete original.busy;
    const busy: BusyMark = { host: hostname(), pid: process.pid, since: new Date().toISOString() };
    await inTransaction(client, async () => {
      await client.query(`COMMENT ON DATABASE ${ident} IS ${quoteLiteral(sparkComment({ ...original, busy }))}`);
      await client.query(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS false`);
    }).catch((error: unknown) => this.fail(error, spark));
    try {
      const endedSessions = await endSessions(client, spark);
      return { result: await copy(), endedSessions };
    } finally {
      // Opened again even when the copy failed; a kill here is repaired by repair() from the mark.
      await inTransaction(client, async () => {
        await client.query(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS ${db.open ? 'true' : 'false'}`);
        await client.query(`COMMENT ON DATABASE ${ident} IS ${quoteLiteral(sparkComment(original))}`);
      }).catch(() => {});
    }
  }

  /**
   * CREATE DATABASE `target` TEMPLATE `source`, closed, then tagged and closed to PUBLIC. A failure
   * after the CREATE drops the half-made copy; a kill leaves it closed and untagged (repair() drops it).
   */
  private async copy(client: Client, target: string, source: string, tag: string, options: { owner?: string; limit?: number; istemplate?: boolean } = {}): Promise<string> {
    const strategy = await this.strategy(client, source);
    const owner = options.owner && options.owner !== this.role ? ` OWNER ${quoteIdent(options.owner)}` : '';
    const limit = options.limit !== undefined ? ` CONNECTION LIMIT ${Math.trunc(options.limit)}` : '';
    await client
      .query(`CREATE DATABASE ${quoteIdent(target)}${owner} TEMPLATE ${quoteIdent(source)}${strategy.clause}${limit} ALLOW_CONNECTIONS false`)
      .catch((error: unknown) => {
        throw copyError(error, source, this.role);
      });
    try {
      await client.query(`COMMENT ON DATABASE ${quoteIdent(target)} IS ${quoteLiteral(tag)}`);
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(target)} FROM PUBLIC`);
      if (options.istemplate) await client.query(`ALTER DATABASE ${quoteIdent(target)} IS_TEMPLATE true`);
    } catch (error) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(target)} WITH (FORCE)`).catch(() => {});
      this.fail(error, target);
    }
    return strategy.name;
  }

  private branchTag(tag: Omit<BranchTag, 'runtime' | 'namespace'>): string {
    return BRANCH_TAG_PREFIX + JSON.stringify({ ...tag, ...this.scopeFields() });
  }

  snapshot(spark: string, options: { label?: string; createdAt: string }): Promise<DatabaseSnapshot & CopyReport> {
    return this.databases.exclusive(async (client) => {
      await this.repair(client);
      const existing = new Set((await this.rows(client)).map((r) => r.name));
      let id = newSnapshotId();
      while (existing.has(branchDatabaseName(spark, id))) id = newSnapshotId();
      const database = branchDatabaseName(spark, id);
      const tag = this.branchTag({ kind: 'snapshot', spark, id, createdAt: options.createdAt, ...(options.label ? { label: options.label } : {}) });
      const { result: strategy, endedSessions } = await this.whileClosed(client, spark, () => this.copy(client, database, spark, tag));
      const size = await databaseSize(client, database);
      return { id, spark, label: options.label ?? null, sizeBytes: size, createdAt: options.createdAt, database, endedSessions, strategy };
    });
  }

  snapshots(spark?: string): Promise<DatabaseSnapshot[]> {
    return this.databases.exclusive(async (client) => {
      const rows = await this.rows(client);
      return rows.filter((r) => r.tag?.kind === 'snapshot' && (spark === undefined || r.tag.spark === spark)).map(toSnapshot).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    });
  }

  private async findSnapshot(client: Client, spark: string, id: string): Promise<BranchRow> {
    validateSnapshotId(id);
    const rows = (await this.rows(client)).filter((r) => r.tag?.kind === 'snapshot' && r.tag.spark === spark);
    const row = rows.find((r) => r.tag?.id === id);
    if (!row) {
      throw new SparkError(`The spark "${spark}" has no snapshot "${id}".${rows.length ? ` Its snapshots: ${rows.map((r) => r.tag!.id).join(', ')}.` : ' It has no snapshots.'}`, {
        hint: `See them with: spark db snapshots ${spark}${rows.length ? '' : `\nMake one with: spark db snapshot ${spark}`}`,
        code: 'SNAPSHOT_NOT_FOUND',
      });
    }
    return row;
  }

  restore(spark: string, id: string): Promise<CopyReport> {
    return this.databases.exclusive(async (client) => {
      await this.repair(client);
      const snapshot = await this.findSnapshot(client, spark, id);
      return this.replace(client, spark, snapshot.name);
    });
  }

  reset(spark: string): Promise<CopyReport & { template: string | null }> {
    return this.databases.exclusive(async (client) => {
      await this.repair(client);
      const db = await this.sparkDatabase(client, spark);
      const template = typeof db.raw.template === 'string' ? db.raw.template : null;
      let source = 'template1';
      if (template) {
        const row = (await this.rows(client)).find((r) => r.tag?.kind === 'template' && r.tag.name === template);
        if (!row) {
          throw new SparkError(`The spark "${spark}" started from the golden template "${template}", which no longer exists.`, {
            hint: `Restore a snapshot instead (spark db snapshots ${spark}), or recreate the template: spark db template create ${template} --from SPARK`,
            code: 'TEMPLATE_NOT_FOUND',
          });
        }
        source = row.name;
      }
      return { ...(await this.replace(client, spark, source)), template };
    });
  }

  /**
   * The spark's database becomes a copy of `source`, under the same name, owner, connection limit,
   * tag and privileges. The copy is made first under a temporary name; then the two swap by renames,
   * so the spark is never without a database: a failure before the swap leaves the old one in place,
   * and a kill during it is undone by repair() (the old one is tagged "previous" with its own tag).
   */
  private async replace(client: Client, spark: string, source: string): Promise<CopyReport> {
    const db = await this.sparkDatabase(client, spark);
    const suffix = newSnapshotId();
    const incoming = branchDatabaseName(spark, `in-${suffix}`);
    const previous = branchDatabaseName(spark, `old-${suffix}`);
    const createdAt = new Date().toISOString();
    const strategy = await this.copy(client, incoming, source, this.branchTag({ kind: 'incoming', spark, createdAt }), { owner: db.owner, limit: db.limit });
    if (db.owner !== this.role && source !== 'template1') {
      // Isolation mode, a golden template of another spark: its objects become this spark's role's.
      try {
        await client.query(`ALTER DATABASE ${quoteIdent(incoming)} ALLOW_CONNECTIONS true`);
        await this.databases.adoptObjects(incoming, db.owner);
        await client.query(`ALTER DATABASE ${quoteIdent(incoming)} ALLOW_CONNECTIONS false`);
      } catch (error) {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(incoming)} WITH (FORCE)`).catch(() => {});
        throw error;
      }
    }
    const ident = quoteIdent(spark);
    const original = { ...db.raw };
    delete original.busy;
    try {
      const { endedSessions } = await this.whileClosed(client, spark, async () => {
        await inTransaction(client, async () => {
          await client.query(`COMMENT ON DATABASE ${ident} IS ${quoteLiteral(this.branchTag({ kind: 'previous', spark, createdAt, sparkComment: sparkComment(original) }))}`);
          await client.query(`ALTER DATABASE ${ident} RENAME TO ${quoteIdent(previous)}`);
          await client.query(`ALTER DATABASE ${quoteIdent(incoming)} RENAME TO ${ident}`);
          await client.query(`COMMENT ON DATABASE ${ident} IS ${quoteLiteral(sparkComment({ ...original, busy: { host: hostname(), pid: process.pid, since: createdAt } }))}`);
        }).catch((error: unknown) => this.fail(error, spark));
      });
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(previous)} WITH (FORCE)`).catch(() => {});
      return { endedSessions, strategy };
    } catch (error) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(incoming)} WITH (FORCE)`).catch(() => {});
      throw error;
    }
  }

  dropSnapshot(spark: string, id: string): Promise<void> {
    return this.databases.exclusive(async (client) => {
      const row = await this.findSnapshot(client, spark, id);
      await dropDatabase(client, row.name, this.role);
      await this.dropOrphanRole(client, spark);
    });
  }

  dropSnapshots(spark: string): Promise<string[]> {
    return this.databases.exclusive(async (client) => {
      const rows = (await this.rows(client)).filter((r) => r.tag?.kind === 'snapshot' && r.tag.spark === spark);
      for (const row of rows) await dropDatabase(client, row.name, this.role);
      return rows.map((r) => r.tag!.id ?? r.name);
    });
  }

  /** Isolation mode: a deleted spark's role that kept snapshots held goes with the last of them. */
  private async dropOrphanRole(client: Client, spark: string): Promise<void> {
    const { rows } = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [spark]);
    if (rows.length) return;
    await this.databases.dropRoleIfOurs(client, sparkRoleName(this.role, spark), { whileHeld: 'keep' });
  }

  createTemplate(name: string, from: string, options: { createdAt: string }): Promise<DatabaseTemplate & CopyReport> {
    return this.databases.exclusive(async (client) => {
      await this.repair(client);
      const database = templateDatabaseName(name);
      const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname = ANY($1::text[])`, [[name, database]]);
      if (rows.some((r) => r.datname === name)) {
        throw new SparkError(`"${name}" is the name of a spark (or of its database): a template may not share it.`, { hint: `Choose another template name, e.g. ${name}-template`, code: 'NAME_TAKEN' });
      }
      if (rows.length) throw new SparkError(`A template named "${name}" already exists.`, { hint: `Drop it first: spark db template drop ${name}`, code: 'NAME_TAKEN' });
      const tag = this.branchTag({ kind: 'template', name, spark: from, createdAt: options.createdAt });
      const { result: strategy, endedSessions } = await this.whileClosed(client, from, () => this.copy(client, database, from, tag, { istemplate: true }));
      return { name, from, sizeBytes: await databaseSize(client, database), createdAt: options.createdAt, database, endedSessions, strategy };
    });
  }

  templates(): Promise<DatabaseTemplate[]> {
    return this.databases.exclusive(async (client) => (await this.rows(client)).filter((r) => r.tag?.kind === 'template').map(toTemplate));
  }

  dropTemplate(name: string): Promise<'dropped' | 'absent'> {
    return this.databases.exclusive(async (client) => {
      const row = (await this.rows(client)).find((r) => r.tag?.kind === 'template' && r.tag.name === name);
      if (!row) return 'absent';
      // A template database cannot be dropped (55000) until it is no template.
      await client.query(`ALTER DATABASE ${quoteIdent(row.name)} IS_TEMPLATE false`).catch((error: unknown) => this.fail(error, row.name));
      await dropDatabase(client, row.name, this.role);
      return 'dropped';
    });
  }

  leftovers(): Promise<BranchLeftover[]> {
    return this.databases.exclusive(async (client) => {
      await this.repair(client);
      const rows = await this.rows(client);
      const sparks = new Set((await this.databases.listOn(client)).map((d) => d.name));
      const out: BranchLeftover[] = [];
      for (const row of rows) {
        const tag = row.tag;
        if (tag?.kind === 'snapshot' && tag.spark && !sparks.has(tag.spark)) {
          out.push({ database: row.name, what: `snapshot ${tag.id} of ${tag.spark}, whose spark is gone`, sizeBytes: row.sizeBytes, fix: `spark db drop-snapshot ${tag.spark} ${tag.id}` });
        } else if (tag?.kind === 'template' && tag.spark && !sparks.has(tag.spark)) {
          out.push({ database: row.name, what: `golden template ${tag.name}, made from ${tag.spark}, which is gone (the template still works)`, sizeBytes: row.sizeBytes, fix: `keep it, or: spark db template drop ${tag.name}` });
        }
      }
      return out;
    });
  }

  /**
   * Undo what interrupted copies left: a half-made copy (untagged or "incoming") is dropped; a swap
   * killed half-way is finished or rolled back; a spark database closed by a dead copier is opened.
   */
  async repair(client: Client): Promise<void> {
    const rows = await this.rows(client);
    for (const row of rows) {
      if (!row.mine) continue;
      if (!row.tag || row.tag.kind === 'incoming') {
        // An incoming copy renamed to the spark's name carries the spark's tag by then, not this one.
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(row.name)} WITH (FORCE)`).catch(() => {});
      } else if (row.tag.kind === 'previous' && row.tag.spark) {
        const spark = row.tag.spark;
        const { rows: present } = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [spark]);
        if (present.length) {
          await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(row.name)} WITH (FORCE)`).catch(() => {});
        } else {
          await inTransaction(client, async () => {
            await client.query(`ALTER DATABASE ${quoteIdent(row.name)} RENAME TO ${quoteIdent(spark)}`);
            if (row.tag?.sparkComment) await client.query(`COMMENT ON DATABASE ${quoteIdent(spark)} IS ${quoteLiteral(row.tag.sparkComment)}`);
            await client.query(`ALTER DATABASE ${quoteIdent(spark)} ALLOW_CONNECTIONS true`);
          }).catch(() => {});
        }
      }
    }
    // Spark databases a dead copier left closed.
    const { rows: busy } = await client.query(`SELECT d.datname AS name, shobj_description(d.oid, 'pg_database') AS comment FROM pg_database d WHERE shobj_description(d.oid, 'pg_database') LIKE 'spark:%"busy":%' AND pg_has_role(current_user, d.datdba, 'USAGE')`);
    for (const row of busy) {
      const parsed = readSparkComment(row.comment as string);
      if (!parsed?.busy || !inScope(parsed.tag, this.scope) || busyHolds(parsed.busy)) continue;
      const original = { ...parsed.raw };
      delete original.busy;
      await inTransaction(client, async () => {
        await client.query(`ALTER DATABASE ${quoteIdent(String(row.name))} ALLOW_CONNECTIONS true`);
        await client.query(`COMMENT ON DATABASE ${quoteIdent(String(row.name))} IS ${quoteLiteral(sparkComment(original))}`);
      }).catch(() => {});
    }
  }

  /** Resolve a copy source of `create` to its database, checked: a spark's (sessions ended for the copy), a snapshot, a template. */
  async copyInto(client: Client, source: CopySource, make: (database: string) => Promise<void>): Promise<CopyReport & { template?: string }> {
    await this.repair(client);
    if (source.kind === 'spark') {
      const { result, endedSessions } = await this.whileClosed(client, source.name, async () => {
        const strategy = await this.strategy(client, source.name);
        await make(source.name);
        return strategy.name;
      });
      return { endedSessions, strategy: result };
    }
    if (source.kind === 'snapshot') {
      const row = await this.findSnapshot(client, source.spark, source.id);
      await make(row.name);
      return { endedSessions: 0, strategy: (await this.strategy(client, row.name)).name };
    }
    const row = (await this.rows(client)).find((r) => r.tag?.kind === 'template' && r.tag.name === source.name);
    if (!row) {
      const names = (await this.rows(client)).filter((r) => r.tag?.kind === 'template').map((r) => r.tag!.name);
      throw new SparkError(`No golden template named "${source.name}".${names.length ? ` Templates: ${names.join(', ')}.` : ''}`, {
        hint: `See them with: spark db template list\nMake one from a spark: spark db template create ${source.name} --from SPARK`,
        code: 'TEMPLATE_NOT_FOUND',
      });
    }
    await make(row.name);
    return { endedSessions: 0, strategy: (await this.strategy(client, row.name)).name, template: source.name };
  }

  /** The strategy clause, for create's own CREATE DATABASE … TEMPLATE. */
  async templateClause(client: Client, database: string): Promise<string> {
    return ` TEMPLATE ${quoteIdent(database)}${(await this.strategy(client, database)).clause}`;
  }
}

/**
 * End every session on `database` (only there). The spark role may end its own sessions and, in
 * isolation mode, those of the sparks' roles it made (it inherits them); a session of any other
 * role (a superuser's psql) cannot be ended: refuse, naming it.
 */
export async function endSessions(client: Client, database: string): Promise<number> {
  const { rows } = await client.query(
    `SELECT pid, usename, pg_has_role(current_user, usesysid, 'USAGE') AS ours FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    [database],
  );
  const foreign = rows.filter((r) => !r.ours);
  if (foreign.length) {
    const who = [...new Set(foreign.map((r) => String(r.usename)))].join(', ');
    throw new SparkError(`The database "${database}" has sessions of ${who}, which spark may not end; a copy needs it free of sessions.`, {
      hint: `Close those sessions (or, as a superuser: SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(database)};), then run this again.`,
      code: 'DB_IN_USE',
    });
  }
  for (const row of rows) {
    await client.query(`SELECT pg_terminate_backend($1, ${TERMINATE_WAIT_MS})`, [row.pid]).catch(() => {});
  }
  return rows.length;
}

async function databaseSize(client: Client, database: string): Promise<number | null> {
  const { rows } = await client.query(`SELECT pg_database_size(oid) AS size FROM pg_database WHERE datname = $1`, [database]).catch(() => ({ rows: [] as Array<Record<string, unknown>> }));
  return rows[0]?.size == null ? null : Number(rows[0].size);
}

async function dropDatabase(client: Client, database: string, role: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`).catch((error: unknown) => {
    throw queryError(error, { operation: 'drop', name: database, role });
  });
}

/** A failed CREATE DATABASE … TEMPLATE, by SQLSTATE. */
function copyError(error: unknown, source: string, role: string): SparkError {
  const code = (error as { code?: string })?.code;
  if (code === '55006') {
    return new SparkError(`The database "${source}" is still in use, so it cannot be copied (55006).`, {
      hint: `A session reconnected during the copy or one of another role is open. Run it again; if it persists, see who is connected: SELECT usename, application_name FROM pg_stat_activity WHERE datname = ${quoteLiteral(source)};`,
      code: 'DB_IN_USE',
      cause: error,
    });
  }
  return queryError(error, { operation: 'create', name: source, role });
}
