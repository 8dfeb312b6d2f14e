/** Reading a role's state from the catalogs; shared by setup-db (as superuser) and the checks (as spark). */
import type { Queryable } from './plan.js';

export interface RoleAttributes {
  login: boolean;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  replication: boolean;
  bypassrls: boolean;
  connectionLimit: number;
}

export interface RoleState extends RoleAttributes {
  /** pg_authid.rolpassword: readable by superusers only, else undefined. */
  verifier?: string | null;
  /** Role-level settings (ALTER ROLE … SET), e.g. createrole_self_grant=set, inherit. */
  settings: Record<string, string>;
}

export async function serverVersionNum(client: Queryable): Promise<{ num: number; text: string }> {
  const { rows } = await client.query("SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text");
  return { num: Number(rows[0]!.num), text: String(rows[0]!.text) };
}

export async function readRole(client: Queryable, role: string, withPassword: boolean): Promise<RoleState | undefined> {
  const password = withPassword ? '(SELECT a.rolpassword FROM pg_authid a WHERE a.oid = r.oid)' : 'NULL::text';
  const { rows } = await client.query(
    `SELECT r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, r.rolconnlimit,
            ${password} AS verifier,
            (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase = 0) AS setconfig
       FROM pg_roles r WHERE r.rolname = $1`,
    [role],
  );
  const row = rows[0];
  if (!row) return undefined;
  const settings: Record<string, string> = {};
  for (const entry of (row.setconfig as string[] | null) ?? []) {
    const at = entry.indexOf('=');
    settings[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return {
    login: Boolean(row.rolcanlogin),
    superuser: Boolean(row.rolsuper),
    createdb: Boolean(row.rolcreatedb),
    createrole: Boolean(row.rolcreaterole),
    replication: Boolean(row.rolreplication),
    bypassrls: Boolean(row.rolbypassrls),
    connectionLimit: Number(row.rolconnlimit),
    verifier: withPassword ? ((row.verifier as string | null) ?? null) : undefined,
    settings,
  };
}

/** An explicit CONNECT grant to the role (PUBLIC's default grant does not count: it may be revoked). */
export async function readConnectGrant(client: Queryable, database: string, role: string): Promise<{ databaseExists: boolean; granted: boolean }> {
  const { rows } = await client.query(
    `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists,
            EXISTS (SELECT 1 FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
                     WHERE d.datname = $1 AND a.privilege_type = 'CONNECT'
                       AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)) AS granted`,
    [database, role],
  );
  return { databaseExists: Boolean(rows[0]!.exists), granted: Boolean(rows[0]!.granted) };
}
