/**
 * `spark admin setup-db`: the seed's §1 as one idempotent plan, computed from the role's current
 * state (read as a superuser) and applied in one transaction. The password only ever travels as a
 * SCRAM verifier, so it cannot land in the server log.
 */
import type { Isolation } from '../core/ports.js';
import { SparkError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { connect, targetFromUrl, type ConnectionTarget } from './connect.js';
import { queryError } from './errors.js';
import { executePlan, inTransaction, renderPlan, type SqlStep } from './plan.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { readConnectGrant, readRole, serverVersionNum, type RoleAttributes, type RoleState } from './roles.js';
import { generatePassword, scramVerifier, verifierMatches } from './scram.js';
import type { SslMode } from './settings.js';

/** CREATEROLE is contained to the roles it creates only from PostgreSQL 16. */
export const ROLE_ISOLATION_MIN_VERSION = 160000;
/** Lets the spark role own and drop the per-spark roles it creates (PostgreSQL 16+). */
export const SELF_GRANT = 'set, inherit';

export interface SetupRequest {
  role: string;
  adminDatabase: string;
  isolation: Isolation;
  /** Given on stdin; otherwise a new one is generated when the role needs a password. */
  password?: string;
}

export interface SetupState {
  role?: RoleState;
  databaseExists: boolean;
  connectGranted: boolean;
  /** server_version_num, or undefined when printing SQL without a server. */
  serverVersion?: number;
}

export interface SetupPlan {
  steps: SqlStep[];
  /** A password this plan sets that the user has not seen yet (generated): show it once. */
  newPassword?: string;
}

function desiredAttributes(isolation: Isolation): Array<[keyof RoleAttributes, boolean, string]> {
  return [
    ['login', true, 'LOGIN'],
    ['createdb', true, 'CREATEDB'],
    ['superuser', false, 'SUPERUSER'],
    ['createrole', isolation === 'role', 'CREATEROLE'],
    ['replication', false, 'REPLICATION'],
    ['bypassrls', false, 'BYPASSRLS'],
  ];
}

const keyword = (on: boolean, word: string): string => (on ? word : `NO${word}`);

/** The statements that bring the role from `state` to what spark needs. Pure. */
export function planSetup(state: SetupState, request: SetupRequest, verifierOf: (password: string) => string = scramVerifier): SetupPlan {
  const { role, isolation } = request;
  if (isolation === 'role' && state.serverVersion !== undefined && state.serverVersion < ROLE_ISOLATION_MIN_VERSION) throw isolationRefused(state.serverVersion);
  if (!state.databaseExists) {
    throw new SparkError(`The admin database "${request.adminDatabase}" does not exist on this server.`, {
      hint: `Create it as a superuser: CREATE DATABASE ${quoteIdent(request.adminDatabase)};  or set POSTGRES_DB to an existing database.`,
      code: 'DB_ADMIN_DATABASE_MISSING',
    });
  }
  const steps: SqlStep[] = [];
  const ident = quoteIdent(role);
  const wanted = desiredAttributes(isolation);
  let newPassword: string | undefined;

  if (!state.role) {
    const password = request.password ?? (newPassword = generatePassword());
    const attrs = wanted.map(([, on, word]) => keyword(on, word)).join(' ');
    steps.push({ description: `create role ${role} (${attrs})`, sql: `CREATE ROLE ${ident} WITH ${attrs} PASSWORD ${quoteLiteral(verifierOf(password))}` });
  } else {
    const wrong = wanted.filter(([key, on]) => state.role![key] !== on);
    if (wrong.length) {
      const attrs = wrong.map(([, on, word]) => keyword(on, word)).join(' ');
      steps.push({ description: `set ${attrs} on role ${role}`, sql: `ALTER ROLE ${ident} WITH ${attrs}` });
    }
    const current = state.role.verifier;
    const password = request.password ?? (current ? undefined : (newPassword = generatePassword()));
    if (password !== undefined && !verifierMatches(current, password)) {
      steps.push({ description: `set the password of ${role} (as a SCRAM-SHA-256 verifier)`, sql: `ALTER ROLE ${ident} WITH PASSWORD ${quoteLiteral(verifierOf(password))}` });
    }
  }
  if (isolation === 'role' && state.role?.settings.createrole_self_grant !== SELF_GRANT) {
    steps.push({
      description: `let ${role} own and drop the per-spark roles it creates (PostgreSQL 16+)`,
      sql: `ALTER ROLE ${ident} SET createrole_self_grant = ${quoteLiteral(SELF_GRANT)}`,
    });
  }
  if (!state.connectGranted) {
    steps.push({ description: `grant CONNECT on database ${request.adminDatabase} to ${role}`, sql: `GRANT CONNECT ON DATABASE ${quoteIdent(request.adminDatabase)} TO ${ident}` });
  }
  return { steps, newPassword };
}

export function isolationRefused(serverVersion: number): SparkError {
  const major = Math.floor(serverVersion / 10000);
  return new SparkError(`Isolation mode "role" needs PostgreSQL 16 or later; this server is ${major}.`, {
    hint: `Before 16, CREATEROLE is near-superuser: a role holding it can grant itself pg_execute_server_program and run programs on the server. Use SPARK_DB_ISOLATION=shared (the default) on PostgreSQL ${major}, or upgrade the server.`,
    code: 'DB_ISOLATION_UNSUPPORTED',
  });
}

export interface SetupOptions extends SetupRequest {
  /** A superuser's URL; optional only with printSql (then the SQL for a new role is printed). */
  superuserUrl?: string;
  printSql?: boolean;
  /** Used when the URL has no ?sslmode= (POSTGRES_SSLMODE). */
  sslmode?: SslMode;
  connectTimeoutMs?: number;
}

export interface RoleReport {
  role: string;
  attributes: RoleAttributes;
  connectOn: string;
  connectGranted: boolean;
  createroleSelfGrant: string | null;
}

export interface SetupResult {
  role: string;
  /** What was done (or, with printSql, what the SQL does); empty when nothing needed changing. */
  changes: string[];
  /** Shown once; set only when spark generated it. */
  password?: string;
  /** With printSql: the script for psql. */
  sql?: string;
  /** After applying: the role as the seed's `\du spark` shows it. */
  report?: RoleReport;
  serverVersion?: string;
}

export async function setupDatabase(options: SetupOptions): Promise<SetupResult> {
  if (options.password !== undefined) registerSecret(options.password);
  if (!options.superuserUrl) {
    if (!options.printSql) throw new SparkError('--superuser-url is required.', { code: 'USAGE', exitCode: 2, hint: 'Pass a superuser connection: spark admin setup-db --superuser-url postgresql://postgres:PASSWORD@HOST:5432/homelab  (or use --print-sql to get SQL for your DBA).' });
    const plan = planSetup({ databaseExists: true, connectGranted: false }, options);
    return { role: options.role, changes: plan.steps.map((s) => s.description), password: plan.newPassword, sql: header(options) + renderPlan(plan.steps) };
  }
  const target = { ...targetFromUrl(options.superuserUrl, options.adminDatabase, options.sslmode), connectTimeoutMs: options.connectTimeoutMs };
  const client = await connect(target).catch((error: unknown) => {
    throw superuserLoginError(error, target);
  });
  try {
    const me = await client.query<{ rolsuper: boolean; current_user: string }>('SELECT rolsuper, current_user FROM pg_roles WHERE rolname = current_user');
    if (!me.rows[0]?.rolsuper) {
      throw new SparkError(`The role ${me.rows[0]?.current_user ?? target.user} of --superuser-url is not a superuser.`, { hint: 'Use the postgres superuser (or another superuser) for setup-db, or run with --print-sql and give the SQL to your DBA.', code: 'DB_NOT_SUPERUSER' });
    }
    if (options.printSql) {
      const state = await readState(client, options);
      const plan = planSetup(state, options);
      // Said in SQL, so the script stays a script: a DBA may pipe it into psql as it is.
      const body = plan.steps.length ? renderPlan(plan.steps) : `-- nothing to change: role ${options.role} is already set up as spark needs it (PostgreSQL ${state.serverVersion}).\n`;
      return { role: options.role, changes: plan.steps.map((s) => s.description), password: plan.newPassword, sql: header(options) + body, serverVersion: String(state.serverVersion) };
    }
    // One setup at a time, from reading the state to the last change: two at once (two admins,
    // parallel CI jobs) would plan from the same state and collide on the same catalog rows.
    const plan = await inTransaction(client, async () => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('spark admin setup-db'))`);
      const planned = planSetup(await readState(client, options), options);
      await executePlan(client, planned.steps);
      return planned;
    }).catch((error: unknown) => {
      throw queryError(error, { operation: 'setup', role: options.role });
    });
    const after = await readState(client, options);
    return {
      role: options.role,
      changes: plan.steps.map((s) => s.description),
      password: plan.newPassword,
      report: {
        role: options.role,
        attributes: after.role!,
        connectOn: options.adminDatabase,
        connectGranted: after.connectGranted,
        createroleSelfGrant: after.role!.settings.createrole_self_grant ?? null,
      },
      serverVersion: (await serverVersionNum(client)).text,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A failed superuser login is about --superuser-url: POSTGRES_PASSWORD (the spark role's) plays no part in setup-db. */
function superuserLoginError(error: unknown, target: ConnectionTarget): unknown {
  if (!(error instanceof SparkError) || (error.code !== 'DB_AUTH_FAILED' && error.code !== 'DB_HBA_REJECTED')) return error;
  const what = error.code === 'DB_AUTH_FAILED' ? `rejected the password of ${target.user} given in --superuser-url (28P01)` : `refused ${target.user} of --superuser-url by its pg_hba.conf rules (28000)`;
  return new SparkError(`PostgreSQL at ${target.host}:${target.port} ${what}.`, {
    hint:
      error.code === 'DB_AUTH_FAILED'
        ? 'Check the superuser name and password in --superuser-url (percent-encode special characters in it: @ as %40, : as %3A, / as %2F, # as %23). It is the superuser\'s password, not POSTGRES_PASSWORD.\nNo superuser at hand? Run with --print-sql and give the SQL to your DBA.'
        : error.hint,
    code: error.code,
    cause: error,
  });
}

async function readState(client: Parameters<typeof readRole>[0], request: SetupRequest): Promise<SetupState> {
  // One after another: a pg client runs one query at a time (pg 9 will refuse overlapping calls).
  const version = await serverVersionNum(client);
  const role = await readRole(client, request.role, true);
  const grant = await readConnectGrant(client, request.adminDatabase, request.role);
  return { role, databaseExists: grant.databaseExists, connectGranted: grant.granted, serverVersion: version.num };
}

function header(request: SetupRequest): string {
  const lines = [`-- spark admin setup-db: role ${request.role}, isolation ${request.isolation}. Run as a superuser, e.g. psql -v ON_ERROR_STOP=1.`, '-- The password is sent as a SCRAM-SHA-256 verifier, never in clear text.'];
  if (request.isolation === 'role') lines.push('-- Isolation "role" requires PostgreSQL 16 or later.');
  return `${lines.join('\n')}\n\n`;
}
