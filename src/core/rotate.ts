/**
 * The spark role's password: `spark admin rotate-password` (the seed's "Rotate Regularly", done for
 * you) and `spark admin repair`, written against ports. The CLI only says whether the user agreed
 * (`--yes`, or a question it could ask) and renders the report, so no render mode changes what
 * happens.
 */
import { SparkError, usageError } from '../errors.js';
import type { CheckResult, CliConfigStore, LoginResult, RoleAccount, SparkCredential, SparkCredentials } from './ports.js';

export interface PasswordPorts {
  account: RoleAccount;
  /** The sparks' DATABASE_URLs; absent when no cluster is configured. */
  sparks?: SparkCredentials;
  /** The spark-cli-config Secret; absent when no cluster is configured. */
  store?: CliConfigStore;
}

export interface Consent {
  /** --yes was given. */
  yes: boolean;
  /** Ask the user; absent when there is nobody to ask (no terminal). */
  confirm?: (question: string) => Promise<boolean>;
}

export interface RewriteFailure {
  name: string;
  error: string;
}

export interface RotateReport {
  role: string;
  /** Sparks whose DATABASE_URL now carries the new password, each restarted. */
  rewritten: string[];
  /** Sparks that could not be rewritten (they cannot log in until `spark admin repair`). */
  failed: RewriteFailure[];
  /** Shared-role spark databases with no spark here to rewrite (another cluster or namespace). */
  unreachable: string[];
  /** Sparks with a role of their own (isolation mode): untouched, they keep working. */
  ownRole: string[];
  /** Where the new password was stored, or null when it was not. */
  storedIn: string | null;
  /** The new password, to be shown once: set exactly when it was not stored, so it is never lost. */
  password: string | null;
}

const usesRole = (credential: SparkCredential, role: string): boolean => userOf(credential.databaseUrl) === role;

function userOf(databaseUrl: string): string | undefined {
  try {
    return decodeURIComponent(new URL(databaseUrl).username);
  } catch {
    return undefined;
  }
}

function databaseOf(databaseUrl: string): string | undefined {
  try {
    return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  } catch {
    return undefined;
  }
}

function withPassword(databaseUrl: string, password: string): string {
  const url = new URL(databaseUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}

const list = (names: string[]): string => (names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', '));
const sparksWord = (n: number): string => (n === 1 ? '1 spark' : `${n} sparks`);

/** Rewrite each spark's URL with `password` and restart it; one failure does not stop the others. */
async function rewriteAll(sparks: SparkCredentials, targets: SparkCredential[], password: string): Promise<{ rewritten: string[]; failed: RewriteFailure[] }> {
  const rewritten: string[] = [];
  const failed: RewriteFailure[] = [];
  for (const spark of targets) {
    try {
      await sparks.rewrite(spark.name, withPassword(spark.databaseUrl, password));
      rewritten.push(spark.name);
    } catch (error) {
      failed.push({ name: spark.name, error: (error as Error).message });
    }
  }
  return { rewritten, failed };
}

/**
 * Give the spark role a new password and bring everything that holds it along: every shared-role
 * spark's DATABASE_URL (whatever password it carries) is rewritten and the spark restarted, and the
 * spark-cli-config Secret is updated in the same transaction as the role (if the Secret cannot be
 * written, the password is not changed). Sparks with their own role are left alone.
 *
 * Consent: changing sparks, or locking out sparks spark cannot reach, needs --yes or a yes to the
 * question; without either nothing happens. With nothing else affected the rotation goes ahead; the
 * Secret is then written only with consent, and otherwise the password is returned to be shown.
 */
export async function rotatePassword(ports: PasswordPorts, consent: Consent, generate: () => string): Promise<RotateReport> {
  const { account, sparks, store } = ports;
  const role = account.role;
  // Both sides first: when either cannot be asked, nothing is changed.
  const [databases, credentials] = await Promise.all([account.sharedDatabases(), sparks ? sparks.list() : Promise.resolve([])]);
  const shared = credentials.filter((c) => usesRole(c, role));
  const ownRole = credentials.filter((c) => !usesRole(c, role)).map((c) => c.name);
  const here = new Set(shared.map((c) => databaseOf(c.databaseUrl)));
  const unreachable = databases.filter((d) => !here.has(d));

  const effects: string[] = [];
  if (shared.length) effects.push(`rewrite DATABASE_URL and restart ${sparksWord(shared.length)} (${list(shared.map((c) => c.name))})`);
  if (unreachable.length) effects.push(`lock out ${sparksWord(unreachable.length)} not found here to update (${list(unreachable)})`);
  if (store) effects.push(`store it in ${store.where}`);
  const question = `Give role ${role} a new password${effects.length ? `, ${effects.join(', ')}` : ''}?`;
  let agreed = consent.yes;
  if (!agreed && consent.confirm) {
    agreed = await consent.confirm(question);
    if (!agreed) throw new SparkError('Not rotated: nothing was changed.', { code: 'CANCELLED', hint: 'Run again and answer yes, or pass --yes.' });
  }
  if (!agreed && (shared.length || unreachable.length)) {
    const who = [...shared.map((c) => c.name), ...unreachable];
    throw usageError(
      `Not rotated: the current password is used by ${sparksWord(who.length)} (${list(who)}), and there is no terminal to ask.`,
      `Run again with --yes to rotate, rewrite their DATABASE_URL and restart them${store ? `, and store the password in ${store.where}` : ''}. Isolation mode "role" (PostgreSQL 16+) gives each spark its own role, untouched by rotation.`,
    );
  }

  const password = generate();
  let storedIn: string | null = null;
  if (store && agreed) {
    let storeFailure: Error | undefined;
    try {
      await account.setPassword(password, () =>
        store.write({ POSTGRES_PASSWORD: password }).catch((error: Error) => {
          storeFailure = error;
          throw error;
        }),
      );
    } catch (error) {
      if (!storeFailure) throw error;
      throw new SparkError(`Not rotated: the new password could not be stored in ${store.where}, so role ${role} keeps its current one. ${storeFailure.message}`, {
        hint: storeFailure instanceof SparkError ? storeFailure.hint : 'Check the cluster (spark doctor), then run again.',
        code: 'ROTATE_NOT_STORED',
      });
    }
    storedIn = store.where;
  } else {
    await account.setPassword(password);
  }
  const { rewritten, failed } = sparks ? await rewriteAll(sparks, shared, password) : { rewritten: [], failed: [] };
  return { role, rewritten, failed, unreachable, ownRole, storedIn, password: storedIn ? null : password };
}

export interface RepairReport {
  role: string;
  /** Sparks whose DATABASE_URL was rewritten with the role's current password, each restarted. */
  repaired: string[];
  failed: RewriteFailure[];
  /** Sparks whose login fails for a reason a new password cannot fix, with that reason. */
  unrepairable: Array<{ name: string; reason: string }>;
  /** Sparks checked and found working. */
  ok: string[];
}

interface SparkLogin {
  spark: SparkCredential;
  shared: boolean;
  result: LoginResult;
}

/** Log in with every spark's URL, a few at a time (each is a full authentication). */
async function checkLogins(login: RoleAccount['login'], credentials: SparkCredential[], role: string): Promise<SparkLogin[]> {
  const results: SparkLogin[] = new Array(credentials.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < credentials.length) {
      const i = next++;
      const spark = credentials[i]!;
      results[i] = { spark, shared: usesRole(spark, role), result: await login(spark.databaseUrl) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, credentials.length) }, worker));
  return results;
}

/**
 * `spark admin repair`: every shared-role spark whose DATABASE_URL no longer logs in gets the role's
 * current password (POSTGRES_PASSWORD, e.g. from the spark-cli-config Secret) and is restarted. The
 * current password is checked first, so a wrong one is never written into sparks.
 */
export async function repairSparks(ports: Required<Pick<PasswordPorts, 'account' | 'sparks'>>, consent: Consent, currentPassword: string): Promise<RepairReport> {
  const { account, sparks } = ports;
  const role = account.role;
  const [, credentials] = await Promise.all([account.verify(), sparks.list()]);
  const logins = await checkLogins((url) => account.login(url), credentials, role);
  const report: RepairReport = { role, repaired: [], failed: [], unrepairable: [], ok: [] };
  const broken: SparkCredential[] = [];
  for (const { spark, shared, result } of logins) {
    if (result.ok) report.ok.push(spark.name);
    else if (shared && result.rejected) broken.push(spark);
    else report.unrepairable.push({ name: spark.name, reason: result.reason });
  }
  if (broken.length && !consent.yes) {
    const names = list(broken.map((c) => c.name));
    if (!consent.confirm) throw usageError(`Not repaired: ${sparksWord(broken.length)} cannot log in (${names}), and there is no terminal to ask.`, 'Run again with --yes to rewrite their DATABASE_URL and restart them.');
    if (!(await consent.confirm(`Rewrite DATABASE_URL with the current password of role ${role} and restart ${sparksWord(broken.length)} (${names})?`))) {
      throw new SparkError('Not repaired: nothing was changed.', { code: 'CANCELLED', hint: 'Run again and answer yes, or pass --yes.' });
    }
  }
  const { rewritten, failed } = await rewriteAll(sparks, broken, currentPassword);
  report.repaired = rewritten;
  report.failed = failed;
  return report;
}

/** Doctor: one failed check per spark whose DATABASE_URL no longer authenticates, with its fix. */
export async function loginChecks(login: RoleAccount['login'], sparks: SparkCredentials, role: string): Promise<CheckResult[]> {
  const title = "Sparks' DATABASE_URL log in";
  let credentials: SparkCredential[];
  try {
    credentials = await sparks.list();
  } catch (error) {
    return [{ id: 'spark-logins', title, status: 'skip', detail: `could not read the sparks' Secrets: ${(error as Error).message}` }];
  }
  const checks: CheckResult[] = [];
  let working = 0;
  for (const { spark, shared, result } of await checkLogins(login, credentials, role)) {
    if (result.ok) {
      working++;
      continue;
    }
    const id = `login-${spark.name}`;
    if (result.rejected) {
      checks.push({
        id,
        title: `Spark ${spark.name} cannot log in to its database`,
        status: 'fail',
        detail: `its DATABASE_URL was refused: ${result.reason}`,
        fix: shared ? `spark admin repair   (writes the current password of role ${role} into its DATABASE_URL and restarts it)` : `its own role no longer accepts its password; recreate the spark, or as ${role} set that role's password to the one in its DATABASE_URL`,
      });
    } else {
      checks.push({ id, title: `Spark ${spark.name}: could not check its database login`, status: 'warn', blocking: false, detail: result.reason });
    }
  }
  if (credentials.length && working === credentials.length) checks.push({ id: 'spark-logins', title, status: 'ok', detail: `all ${working} log in` });
  return checks;
}
