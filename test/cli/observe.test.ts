/**
 * logs, events and forward without a cluster: the argument grammar (exit 2 before anything is
 * asked), and the activity line format the CLI reads (the reporter itself: test/boot/activity.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortForwards } from '../../src/core/observe.js';
import { latestActivity, parseActivityLine } from '../../src/runtimes/kubernetes/activity.js';
import { runSpark } from '../support/cli.js';

test('forward: PORT and LOCAL:REMOTE; bad or repeated ports are usage errors', () => {
  assert.deepEqual(parsePortForwards(['3000', '8080:80']), [{ local: 3000, remote: 3000 }, { local: 8080, remote: 80 }]);
  for (const bad of ['0', '65536', 'http', '80:', ':80', '1:2:3', '-1']) {
    assert.throws(() => parsePortForwards([bad]), (e: { exitCode: number; message: string }) => e.exitCode === 2 && e.message.includes(JSON.stringify(bad)), bad);
  }
  assert.throws(() => parsePortForwards(['3000', '3000:80']), /Local port 3000 is given twice/);
});

test('spark forward with an invalid port exits 2 before any cluster is asked', async () => {
  const r = await runSpark(['forward', 'brave-dolphin', 'http'], { env: { KUBECONFIG: '/nonexistent' } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error: Invalid port "http"/);
  assert.match(r.stderr, /fix: Give PORT or LOCAL:REMOTE/);
});

test('spark logs --since 0 and an invalid duration are usage errors', async () => {
  for (const since of ['0', 'soon']) {
    const r = await runSpark(['logs', 'brave-dolphin', '--since', since, '--json']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'USAGE');
  }
});

test('activity lines: the newest well-formed one wins; malformed ones and other lines are ignored', () => {
  const line = (o: object) => `spark-activity ${JSON.stringify(o)}`;
  const text = [
    line({ v: 1, reportedAt: '2026-12-02T05:00:00Z', openSessions: 1, lastSessionAt: '2026-12-02T05:00:00Z', unsavedWork: true, unsavedDetail: '2 uncommitted files' }),
    'spark-step: repo done in 3s',
    line({ v: 1, reportedAt: '2026-12-02T05:05:00Z', openSessions: 0, lastSessionAt: '2026-12-02T05:04:45Z', unsavedWork: false, unsavedDetail: 'committed and pushed' }),
    'spark-activity {"v":1,"reportedAt":"2026-12-02T05:06:00Z","openSessions":', // cut off
    line({ v: 1, reportedAt: 'yesterday', openSessions: 0 }),
    'Accepted publickey for user from 10.0.0.1',
  ].join('\n');
  assert.deepEqual(latestActivity(text), { openSessions: 0, reportedAt: '2026-12-02T05:05:00.000Z', lastSessionAt: '2026-12-02T05:04:45.000Z', unsavedWork: false, unsavedDetail: 'committed and pushed' });
  assert.deepEqual(parseActivityLine(line({ v: 1, reportedAt: '2026-12-02T05:00:00Z', openSessions: 0, lastSessionAt: null, unsavedWork: null, unsavedDetail: 'git status failed in the project' })), {
    openSessions: 0,
    reportedAt: '2026-12-02T05:00:00.000Z',
    unsavedDetail: 'git status failed in the project',
  });
  assert.equal(parseActivityLine(line({ v: 1, reportedAt: '2026-12-02T05:00:00Z', openSessions: -1 })), undefined);
  assert.equal(latestActivity('no reports here\n'), undefined);
});
