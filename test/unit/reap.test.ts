/**
 * The reap plan's rules (src/core/reap.ts `decide`), as a table: what a spark reports, its state and
 * expiry → delete, sleep or keep, and the reason a user reads. The real-cluster black-box test is
 * test/k8s/reap.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, type ActivityReading, type ReapPolicy } from '../../src/core/reap.js';
import type { RuntimeCapabilities, RuntimeSpark, SparkActivity } from '../../src/core/ports.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ago = (minutes: number): string => new Date(NOW - minutes * 60_000).toISOString();
const HOUR = 3_600_000;
const kube = { kind: 'kubernetes' as const, capabilities: { sleep: { sleep: async () => true, wake: async () => true } } as RuntimeCapabilities };
const policy: ReapPolicy = { idleTimeoutMs: 2 * HOUR, force: false };

const spark = (over: Partial<RuntimeSpark> = {}): RuntimeSpark => ({ name: 'brave-dolphin', runtime: 'kubernetes', state: 'Running', createdAt: ago(24 * 60), ...over });
const report = (over: Partial<SparkActivity> = {}): ActivityReading => ({ report: { openSessions: 0, lastSessionAt: ago(10), unsavedWork: false, reportedAt: ago(1), ...over } });
const EXPIRED = { expiresAt: ago(10) };

const cases: Array<[string, RuntimeSpark, ActivityReading, ReapPolicy, 'delete' | 'sleep' | 'keep', RegExp]> = [
  ['expired, clean, no session → delete', spark(EXPIRED), report(), policy, 'delete', /^expired 10m ago; no unsaved work and no open session \(reported 1m ago\)$/],
  ['expired, unpushed commits → keep, saying so', spark(EXPIRED), report({ unsavedWork: true, unsavedDetail: '2 commits on no remote' }), policy, 'keep', /expired 10m ago, but its project has unsaved work \(2 commits on no remote\): not deleted/],
  ['expired, unpushed commits, --force → delete', spark(EXPIRED), report({ unsavedWork: true, unsavedDetail: '2 commits on no remote' }), { ...policy, force: true }, 'delete', /--force although its project has unsaved work \(2 commits on no remote\)/],
  ['expired, git could not be checked → keep', spark(EXPIRED), report({ unsavedWork: undefined }), policy, 'keep', /work state is unknown \(git could not be checked\)/],
  ['expired, no report → keep', spark(EXPIRED), { missing: 'no activity report' }, policy, 'keep', /work state is unknown \(no activity report\)/],
  ['expired, not running → keep', spark({ ...EXPIRED, state: 'Failed', reason: 'CrashLoopBackOff' }), { missing: 'no activity report: it is failed (CrashLoopBackOff)' }, policy, 'keep', /unknown \(no activity report: it is failed \(CrashLoopBackOff\)\)/],
  ['expired, a session open → keep', spark(EXPIRED), report({ openSessions: 1 }), policy, 'keep', /but 1 SSH session open/],
  ['expired, asleep with a clean stored report → delete', spark({ ...EXPIRED, state: 'Sleeping', sleepingSince: ago(300) }), report({ lastSessionAt: ago(400) }), policy, 'delete', /^expired 10m ago; no unsaved work/],
  ['expired with unsaved work and idle → sleep (kept, but not running for nothing)', spark(EXPIRED), report({ unsavedWork: true, lastSessionAt: ago(180) }), policy, 'sleep', /not deleted.*; idle: last session 3h ago/],
  ['idle past the timeout → sleep', spark(), report({ lastSessionAt: ago(180) }), policy, 'sleep', /^idle: last session 3h ago \(SPARK_IDLE_TIMEOUT 2h\)$/],
  ['never used, created long ago → sleep', spark(), report({ lastSessionAt: undefined }), policy, 'sleep', /no session since it was created 1d ago/],
  ['never used, just created → keep', spark({ createdAt: ago(5) }), report({ lastSessionAt: undefined }), policy, 'keep', /^active: no session since it was created 5m ago/],
  ['woken 5m ago, last session 3h ago → keep (a wake is a use)', spark({ wokenAt: ago(5) }), report({ lastSessionAt: ago(180) }), policy, 'keep', /^active: woken 5m ago, no session since \(sleeps after 2h idle\)$/],
  ['woken 3h ago, never used since → sleep', spark({ wokenAt: ago(180) }), report({ lastSessionAt: ago(600) }), policy, 'sleep', /^idle: woken 3h ago, no session since/],
  ['a session after the wake counts → sleep when that is old', spark({ wokenAt: ago(600) }), report({ lastSessionAt: ago(180) }), policy, 'sleep', /^idle: last session 3h ago/],
  ['recent session → keep', spark(), report(), policy, 'keep', /^active: last session 10m ago \(sleeps after 2h idle\)$/],
  ['a session open, long ago started → keep', spark(), report({ openSessions: 2, lastSessionAt: ago(600) }), policy, 'keep', /^in use: 2 SSH sessions open$/],
  ['idle, no report → keep ("no activity report")', spark(), { missing: 'no activity report' }, policy, 'keep', /^no activity report$/],
  ['idle, SPARK_IDLE_TIMEOUT=0 → keep', spark(), report({ lastSessionAt: ago(600) }), { ...policy, idleTimeoutMs: undefined }, 'keep', /SPARK_IDLE_TIMEOUT=0/],
  ['asleep, not expired → keep', spark({ state: 'Sleeping', sleepingSince: ago(90) }), report(), policy, 'keep', /^asleep since 1h ago$/],
  ['not expired yet → not deleted', spark({ expiresAt: new Date(NOW + HOUR).toISOString() }), report(), policy, 'keep', /^active/],
];

for (const [title, s, reading, p, action, reason] of cases) {
  test(`reap: ${title}`, () => {
    const d = decide(s, reading, p, kube, NOW);
    assert.equal(d.action, action, d.reason);
    assert.match(d.reason, reason);
    assert.equal(d.expired, Boolean(s.expiresAt && Date.parse(s.expiresAt) <= NOW));
  });
}

test('reap: a runtime that cannot sleep keeps idle sparks and says why', () => {
  const d = decide(spark(), report({ lastSessionAt: ago(600) }), policy, { kind: 'local', capabilities: {} }, NOW);
  assert.equal(d.action, 'keep');
  assert.match(d.reason, /the local runtime cannot put sparks to sleep/);
});
