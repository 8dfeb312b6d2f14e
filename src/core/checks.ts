import type { Backend } from './backend.js';
import type { CheckResult } from './ports.js';
import { listSparks } from './list.js';
import { planReap, type ReapDecision, type ReapPolicy } from './reap.js';
import { loginChecks } from './rotate.js';

export interface CheckReport {
  checks: CheckResult[];
  ok: boolean;
}

function report(checks: CheckResult[]): CheckReport {
  return { checks, ok: !checks.some((c) => c.status === 'fail' && c.blocking !== false) };
}

/**
 * `spark create --test`, the seed's "test new configuration": everything a real create needs,
 * checked without leaving anything behind. Configuration checks come from the caller.
 */
export async function testConfiguration(backend: Backend, configChecks: CheckResult[]): Promise<CheckReport> {
  const [database, runtime] = await Promise.all([backend.databases.checks(), backend.runtime.checks()]);
  return report([...configChecks, ...database, ...runtime]);
}

/** `spark doctor`: the same checks plus the estate — incomplete, misowned, legacy sparks and leftovers. */
export async function doctor(backend: Backend, configChecks: CheckResult[], sparkRole: string, reap?: ReapPolicy): Promise<CheckReport> {
  const base = await testConfiguration(backend, configChecks);
  // First: repair what interrupted copies left (a spark database left closed), and find copies whose spark is gone.
  const leftovers = await (backend.databases.branches?.leftovers() ?? Promise.resolve([])).catch(() => []);
  const { sparks, unavailable } = await listSparks([backend]);
  const estate: CheckResult[] = [];
  for (const left of leftovers) {
    const size = left.sizeBytes === null ? '' : `, ${(left.sizeBytes / 1024 / 1024).toFixed(1)} MB`;
    estate.push({ id: `branch-${left.database}`, title: `Database ${left.database}: ${left.what}`, status: 'warn', detail: `closed to connections${size}`, fix: left.fix, blocking: false });
  }
  for (const u of unavailable) estate.push({ id: `estate-${u.part}`, title: `List sparks (${u.part})`, status: 'warn', detail: u.reason, fix: u.fix ?? undefined });
  for (const spark of sparks) {
    // Only when both sides answered: an Unknown spark (its runtime could not be asked) gets no advice.
    if (spark.state === 'Incomplete') {
      estate.push({ id: `incomplete-${spark.name}`, title: `Spark ${spark.name} is incomplete`, status: 'warn', detail: spark.reason ?? undefined, fix: `spark delete ${spark.name} --yes`, blocking: false });
    }
    if (spark.database?.closed) {
      estate.push({
        id: `closed-${spark.name}`,
        title: `Database ${spark.name} was left closed by an interrupted create`,
        status: 'warn',
        detail: 'nobody can connect to it (ALLOW_CONNECTIONS false); its spark was never finished',
        fix: `spark delete ${spark.name} --yes   (then create it again)`,
        blocking: false,
      });
    }
    if (spark.database && spark.database.owner !== sparkRole && !spark.database.owner.startsWith(`${sparkRole}_`)) {
      estate.push({
        id: `owner-${spark.name}`,
        title: `Database ${spark.name} is owned by ${spark.database.owner}, not ${sparkRole}`,
        status: 'warn',
        detail: 'made while the CLI ran as another role (the seed\'s "Migration from Postgres User")',
        fix: `as a superuser: ALTER DATABASE "${spark.name.replace(/"/g, '""')}" OWNER TO "${sparkRole.replace(/"/g, '""')}";`,
        blocking: false,
      });
    }
  }
  // One line for all of them: they need nothing done, and there may be hundreds.
  const legacy = sparks.filter((s) => s.legacy).map((s) => s.name);
  if (legacy.length) {
    const names = legacy.length > 5 ? `${legacy.slice(0, 5).join(', ')} and ${legacy.length - 5} more` : legacy.join(', ');
    estate.push({ id: 'legacy', title: `${legacy.length === 1 ? '1 spark was' : `${legacy.length} sparks were`} made by the Go CLI`, status: 'ok', detail: `${names}: listed, shown, shelled into and deleted like the others`, blocking: false });
  }
  // Idle and expired sparks, and what `spark reap` would do with them (its own plan; a warning, never a failure).
  if (reap && !unavailable.some((u) => u.part === 'runtime')) estate.push(...reapChecks(await planReap(backend, reap).catch(() => [])));
  // Each spark's DATABASE_URL must still log in (a rotation may have left it behind), when the server answers.
  const { databases, credentials } = backend;
  if (credentials && databases.login && base.checks.some((c) => c.id === 'db-connection' && c.status === 'ok')) estate.push(...(await loginChecks((url) => databases.login!(url), credentials, sparkRole)));
  return report([...base.checks, ...estate]);
}

/** One warning per spark that reap would delete or put to sleep, or that is expired but kept. */
export function reapChecks(plan: ReapDecision[]): CheckResult[] {
  const checks: CheckResult[] = [];
  for (const d of plan) {
    const base = { id: `reap-${d.name}`, status: 'warn' as const, detail: d.reason, blocking: false };
    if (d.action === 'delete') checks.push({ ...base, title: `Spark ${d.name} is expired: spark reap would delete it`, fix: `spark reap   (or keep it longer: spark extend ${d.name} 1d)` });
    else if (d.action === 'sleep') checks.push({ ...base, title: `Spark ${d.name} is idle: spark reap would put it to sleep`, fix: `spark reap   (or spark sleep ${d.name})` });
    else if (d.expired) checks.push({ ...base, title: `Spark ${d.name} is expired, but spark reap keeps it`, fix: `Save its work, then: spark delete ${d.name}; or keep it longer: spark extend ${d.name} 1d` });
  }
  return checks;
}
