/**
 * `spark reap`: put idle sparks to sleep and delete expired ones — never one whose work could be
 * lost. First a PLAN (one decision per spark, with its reason; `--dry-run` stops there and `doctor`
 * shows it), then APPLY it. The rules, in order:
 *
 * - expired (past its `spark.dev/expires-at`): **delete** — but only when the spark itself reports
 *   that its project holds no unsaved git work and no SSH session is open. No report (not running,
 *   asleep without a stored report, a spark too old to report), a git it could not check, unsaved
 *   work or an open session: **keep** it and say why, unless `--force`.
 * - running, no open session, last session (or its last wake, or its creation) longer ago than
 *   SPARK_IDLE_TIMEOUT: **sleep** (an expired spark kept for its work is slept too). No report:
 *   keep ("no activity report").
 * - anything else: **keep**, with the reason.
 *
 * A delete is the ordinary delete use-case (delete.ts): the database goes too, only once the
 * objects are gone, and nothing at all when PostgreSQL cannot be asked. Right before each delete
 * the spark and its report are read again, so work saved late or an extend after the plan count.
 */
import type { Backend } from './backend.js';
import { requireCapability } from './capabilities.js';
import { deleteSpark } from './delete.js';
import { isExpired, span } from './expiry.js';
import type { Runtime, RuntimeKind, RuntimeSpark, SparkActivity } from './ports.js';

export interface ReapPolicy {
  /** Sleep a running spark after this long without an SSH session; undefined: never (SPARK_IDLE_TIMEOUT=0). */
  idleTimeoutMs?: number;
  /** Delete expired sparks even with unsaved work, an open session or an unknown work state. */
  force: boolean;
  now?: () => Date;
}

export type ReapAction = 'delete' | 'sleep' | 'keep';

export interface ReapDecision {
  name: string;
  runtime: RuntimeKind;
  action: ReapAction;
  /** Why, in words: "expired 10m ago; no unsaved work (reported 2m ago)". */
  reason: string;
  /** Past its expiry (whatever the action). */
  expired: boolean;
}

export interface ReapOutcome extends ReapDecision {
  /** The action was carried out (false in a dry run, and when it failed). */
  done: boolean;
  /** Why it failed; null when it did not. */
  error: string | null;
}

/** What the spark reported, or why there is no report. */
export type ActivityReading = { report: SparkActivity } | { missing: string };

/** Activity reads run this many at a time: one log request per running spark. */
const READ_CONCURRENCY = 8;

/** The plan for every spark of this backend. Throws when the runtime cannot be listed: then nothing is done. */
export async function planReap(backend: Backend, policy: ReapPolicy): Promise<ReapDecision[]> {
  const sparks = await backend.runtime.list();
  const now = (policy.now?.() ?? new Date()).getTime();
  const readings = await mapLimited(sparks, READ_CONCURRENCY, (spark) => readActivity(backend.runtime, spark));
  return sparks.map((spark, i) => decide(spark, readings[i]!, policy, backend.runtime, now));
}

/** Carry out the plan, one spark after another; `onOutcome` hears each as it is done. */
export async function applyReap(backend: Backend, plan: ReapDecision[], policy: ReapPolicy, onOutcome?: (outcome: ReapOutcome) => void): Promise<ReapOutcome[]> {
  const outcomes: ReapOutcome[] = [];
  for (const planned of plan) {
    const outcome = await applyOne(backend, planned, policy);
    outcomes.push(outcome);
    onOutcome?.(outcome);
  }
  return outcomes;
}

/** The plan as it would be reported by a dry run: nothing done. */
export function dryRun(plan: ReapDecision[]): ReapOutcome[] {
  return plan.map((d) => ({ ...d, done: false, error: null }));
}

async function applyOne(backend: Backend, planned: ReapDecision, policy: ReapPolicy): Promise<ReapOutcome> {
  let decision = planned;
  try {
    if (decision.action === 'delete') {
      // Read again right before deleting: an extend or unsaved work since the plan must count.
      const fresh = await backend.runtime.status(decision.name);
      if (!fresh) return { ...decision, reason: `${decision.reason} (it was already gone)`, done: true, error: null };
      const now = (policy.now?.() ?? new Date()).getTime();
      decision = decide(fresh, await readActivity(backend.runtime, fresh), policy, backend.runtime, now);
    }
    switch (decision.action) {
      case 'keep':
        return { ...decision, done: true, error: null };
      case 'sleep':
        await requireCapability(backend.runtime, 'sleep').sleep(decision.name);
        return { ...decision, done: true, error: null };
      case 'delete': {
        const deleted = await deleteSpark(backend, decision.name, { keepDatabase: false });
        return deleted.left.length ? { ...decision, done: false, error: `could not remove ${deleted.left.join('; ')}` } : { ...decision, done: true, error: null };
      }
    }
  } catch (error) {
    return { ...decision, done: false, error: (error as Error).message };
  }
}

/** What the spark reports of itself; only a running (or sleeping, with a stored report) spark can tell. */
export async function readActivity(runtime: Runtime, spark: RuntimeSpark): Promise<ActivityReading> {
  const activity = runtime.capabilities.activity;
  if (!activity) return { missing: `the ${runtime.kind} runtime reports no activity` };
  if (spark.state !== 'Running' && spark.state !== 'Sleeping') return { missing: `no activity report: it is ${describeState(spark)}` };
  try {
    const report = await activity.activity(spark.name);
    return report ? { report } : { missing: 'no activity report' };
  } catch (error) {
    return { missing: `its activity could not be read: ${(error as Error).message}` };
  }
}

/** Pure: one spark, what it reported, the policy and the time → its action and why. */
export function decide(spark: RuntimeSpark, reading: ActivityReading, policy: ReapPolicy, runtime: Pick<Runtime, 'kind' | 'capabilities'>, now: number): ReapDecision {
  const base = { name: spark.name, runtime: spark.runtime };
  const expired = isExpired(spark.expiresAt, now);
  let prefix = '';
  if (expired) {
    const when = `expired ${span(now - Date.parse(spark.expiresAt!))} ago`;
    const blocker = deleteBlocker(reading);
    if (!blocker) {
      const report = (reading as { report: SparkActivity }).report;
      return { ...base, expired, action: 'delete', reason: `${when}; no unsaved work and no open session (reported ${span(now - Date.parse(report.reportedAt))} ago)` };
    }
    if (policy.force) return { ...base, expired, action: 'delete', reason: `${when}; deleted with --force although ${blocker}` };
    prefix = `${when}, but ${blocker}: not deleted (save the work, then spark delete ${spark.name}; or --force)`;
  }
  const keep = (why: string): ReapDecision => ({ ...base, expired, action: 'keep', reason: prefix ? `${prefix}; ${why}` : why });

  if (spark.state === 'Sleeping') return keep(spark.sleepingSince ? `asleep since ${span(now - Date.parse(spark.sleepingSince))} ago` : 'asleep');
  if (spark.state !== 'Running') return keep(describeState(spark));
  if (policy.idleTimeoutMs === undefined) return keep('never put to sleep (SPARK_IDLE_TIMEOUT=0)');
  if (!runtime.capabilities.sleep) return keep(`the ${runtime.kind} runtime cannot put sparks to sleep`);
  if ('missing' in reading) return keep(reading.missing);
  const { report } = reading;
  if (report.openSessions > 0) return keep(`in use: ${sessions(report.openSessions)} open`);
  // Idle since the last session, or since it was woken if that came later (a wake is a use), or since it was made.
  const woken = spark.wokenAt && (!report.lastSessionAt || Date.parse(spark.wokenAt) > Date.parse(report.lastSessionAt)) ? spark.wokenAt : undefined;
  const since = woken ?? report.lastSessionAt ?? spark.createdAt;
  const idleMs = since ? now - Date.parse(since) : NaN;
  if (Number.isNaN(idleMs)) return keep('no activity report');
  const idle = woken ? `woken ${span(idleMs)} ago, no session since` : report.lastSessionAt ? `last session ${span(idleMs)} ago` : `no session since it was created ${span(idleMs)} ago`;
  if (idleMs < policy.idleTimeoutMs) return keep(`active: ${idle} (sleeps after ${span(policy.idleTimeoutMs)} idle)`);
  const reason = `idle: ${idle} (SPARK_IDLE_TIMEOUT ${span(policy.idleTimeoutMs)})`;
  return { ...base, expired, action: 'sleep', reason: prefix ? `${prefix}; ${reason}` : reason };
}

/** Why an expired spark may not be deleted, in words; undefined when nothing stands in the way. */
function deleteBlocker(reading: ActivityReading): string | undefined {
  if ('missing' in reading) return `its work state is unknown (${reading.missing})`;
  const { report } = reading;
  if (report.unsavedWork === true) return `its project has unsaved work (${report.unsavedDetail ?? 'uncommitted or unpushed changes'})`;
  if (report.unsavedWork === undefined) return `its work state is unknown (git could not be checked${report.unsavedDetail ? `: ${report.unsavedDetail}` : ''})`;
  if (report.openSessions > 0) return `${sessions(report.openSessions)} open`;
  return undefined;
}

const sessions = (n: number): string => (n === 1 ? '1 SSH session' : `${n} SSH sessions`);

function describeState(spark: RuntimeSpark): string {
  const state = spark.state.toLowerCase();
  return spark.reason ? `${state} (${spark.reason})` : state;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
