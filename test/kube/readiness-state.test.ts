/**
 * The readiness wait's reducer, driven without a server: inputs as the watches deliver them, the
 * progress, verdicts and requests that come out. The watch loop around it is tested against the
 * fake (test/kube/adapter.test.ts: streams that end, reset, 410) and the real control plane (test/k8s/).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialReadiness, readinessStep, type ReadinessInput, type ReadinessOutput, type ReadinessState } from '../../src/runtimes/kubernetes/readiness-state.js';
import { pvcName } from '../../src/runtimes/kubernetes/labels.js';

const NAME = 'brave-dolphin';
const T0 = '2026-12-07T10:00:00Z';
const later = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

const deployment = { metadata: { name: NAME, uid: 'dep-1', creationTimestamp: T0 } };
const volume = (phase: string) => ({ metadata: { name: pvcName(NAME), uid: 'pvc-1' }, status: { phase } });

type PodLike = Record<string, unknown>;
function pod(uid: string, status: PodLike, extra: PodLike = {}): PodLike {
  return { metadata: { name: `${NAME}-abc12-${uid}`, uid, creationTimestamp: later(1), ...extra }, spec: { containers: [{ name: 'spark', image: 'debian:bookworm' }] }, status };
}
const ready = (uid: string) => pod(uid, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'spark', ready: true, restartCount: 0, state: { running: {} } }] });
const running = (uid: string, restarts = 0) => pod(uid, { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'spark', ready: false, restartCount: restarts, state: { running: {} } }] });
const waitingFor = (uid: string, reason: string) => pod(uid, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'spark', ready: false, restartCount: 0, state: { waiting: { reason } } }] });
const unschedulable = (uid: string) => pod(uid, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] });
const event = (kind: string, name: string, reason: string, extra: PodLike = {}) => ({ type: 'Warning', reason, message: `${reason} happened`, involvedObject: { kind, name, ...extra }, lastTimestamp: later(2) });

/** Feed inputs in order; every output, in order. */
function run(inputs: ReadinessInput[], from: ReadinessState = initialReadiness(NAME, 'spark')): { state: ReadinessState; out: ReadinessOutput[] } {
  let state = from;
  const out: ReadinessOutput[] = [];
  for (const input of inputs) {
    const next = readinessStep(state, input);
    state = next.state;
    out.push(...next.out);
  }
  return { state, out };
}
const progress = (out: ReadinessOutput[]) => out.filter((o) => o.kind === 'progress').map((o) => (o as { detail: string }).detail);
const start: ReadinessInput = { type: 'start', deployment: deployment as never, volume: volume('Bound') as never };

test('start, a pod that becomes ready: progress along the way, then ready with that pod', () => {
  const { out, state } = run([start, { type: 'pods-listed', pods: [] }, { type: 'pod', change: 'ADDED', pod: running('p1') as never }, { type: 'pod', change: 'MODIFIED', pod: ready('p1') as never }]);
  assert.deepEqual(progress(out), ['waiting for the pod to be created', 'starting SSH']);
  assert.deepEqual(out.at(-1), { kind: 'ready', pod: ready('p1') });
  assert.equal(state.done, true);
  assert.deepEqual(readinessStep(state, { type: 'pod', change: 'MODIFIED', pod: running('p1') as never }).out, [], 'nothing after the end');
});

test('the same detail twice is reported once; a running container asks once for its setup log', () => {
  const { out } = run([start, { type: 'pod', change: 'ADDED', pod: running('p1') as never }, { type: 'pod', change: 'MODIFIED', pod: running('p1') as never }, { type: 'setup-step', step: 'ssh-server started' }]);
  assert.deepEqual(out.filter((o) => o.kind === 'follow-log'), [{ kind: 'follow-log', pod: `${NAME}-abc12-p1` }]);
  assert.deepEqual(progress(out), ['waiting for the pod to be created', 'starting SSH', 'setup: ssh-server started']);
});

test('a missing image ends the wait at once with READY_IMAGE_PULL; ErrImagePull alone only waits', () => {
  const retrying = run([start, { type: 'pod', change: 'ADDED', pod: waitingFor('p1', 'ErrImagePull') as never }]);
  assert.equal(retrying.state.done, false);
  assert.match(progress(retrying.out).at(-1)!, /pulling the image debian:bookworm failed, retrying/);
  const { out } = run([{ type: 'pod', change: 'MODIFIED', pod: waitingFor('p1', 'ImagePullBackOff') as never }], retrying.state);
  const fatal = out.at(-1) as Extract<ReadinessOutput, { kind: 'fatal' }>;
  assert.equal(fatal.kind, 'fatal');
  assert.equal(fatal.error.code, 'READY_IMAGE_PULL');
});

test('the newest live pod decides: a crash-looping old pod on its way out does not end the wait', () => {
  const old = pod('old', { phase: 'Running', containerStatuses: [{ name: 'spark', restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, { deletionTimestamp: later(3), creationTimestamp: T0 });
  const { out, state } = run([start, { type: 'pods-listed', pods: [old as never] }]);
  assert.equal(state.done, false);
  assert.equal(progress(out).at(-1), 'the previous pod is stopping');
  const next = run([{ type: 'pod', change: 'ADDED', pod: running('new', 1) as never }], state);
  assert.equal(progress(next.out).at(-1), 'starting SSH (1 restart)');
});

test('unschedulable while the volume is unbound waits; once bound, a stale verdict waits for the next attempt, a fresh one is fatal', () => {
  const pending: ReadinessInput = { type: 'start', deployment: deployment as never, volume: volume('Pending') as never };
  const first = run([pending, { type: 'pod', change: 'ADDED', pod: unschedulable('p1') as never }]);
  assert.equal(first.state.done, false);
  assert.equal(progress(first.out).at(-1), `waiting for the home volume ${pvcName(NAME)} to be bound`);
  const bound = run([{ type: 'event', event: { ...event('PersistentVolumeClaim', pvcName(NAME), 'ProvisioningSucceeded', { uid: 'pvc-1' }), type: 'Normal' } as never }], first.state);
  assert.equal(bound.state.done, false, 'the pod was judged before the volume was bound');
  assert.ok(progress(bound.out).includes('the home volume is bound; scheduling the pod again'));
  const again = run([{ type: 'pod', change: 'MODIFIED', pod: unschedulable('p1') as never }], bound.state);
  assert.equal((again.out.at(-1) as { error?: { code: string } }).error?.code, 'READY_UNSCHEDULABLE');
});

test('an unschedulable pod while the volume is thought pending asks for the volume again; its answer decides', () => {
  const pending: ReadinessInput = { type: 'start', deployment: deployment as never, volume: volume('Pending') as never };
  const { out, state } = run([pending, { type: 'pod', change: 'ADDED', pod: unschedulable('p1') as never }]);
  assert.ok(out.some((o) => o.kind === 'refresh-volume'));
  const answered = run([{ type: 'volume', pending: false }], state);
  assert.ok(progress(answered.out).includes('the home volume is bound; scheduling the pod again'));
});

test('events: a pod\'s event that arrives before the pod is held until the pod is seen; old and foreign events are ignored', () => {
  const early = { ...event('Pod', `${NAME}-abc12-p1`, 'FailedMount', { uid: 'p1' }), type: 'Normal' };
  const foreign = event('ReplicaSet', 'other-abc12', 'FailedCreate');
  const stale = { ...event('ReplicaSet', `${NAME}-abc12`, 'FailedCreate'), lastTimestamp: '2026-12-07T09:00:00Z' };
  const { out, state } = run([start, { type: 'events-listed', events: [early, foreign, stale] as never }]);
  assert.deepEqual(progress(out), ['waiting for the pod to be created'], 'nothing reported yet');
  assert.equal(state.done, false);
  const seen = run([{ type: 'pod', change: 'ADDED', pod: running('p1') as never }], state);
  assert.ok(progress(seen.out).includes('FailedMount: FailedMount happened'));
});

test('fatal events: a volume that cannot be provisioned, a pod the cluster refuses to create', () => {
  const volumeFails = run([start, { type: 'event', event: event('PersistentVolumeClaim', pvcName(NAME), 'ProvisioningFailed', { uid: 'pvc-1' }) as never }]);
  assert.equal((volumeFails.out.at(-1) as { error?: { code: string } }).error?.code, 'READY_VOLUME');
  const refused = run([start, { type: 'event', event: event('ReplicaSet', `${NAME}-7d9f8c6b5`, 'FailedCreate') as never }]);
  assert.equal((refused.out.at(-1) as { error?: { code: string } }).error?.code, 'READY_REJECTED');
});

test('the reducer never changes the state it is given', () => {
  const { state } = run([start]);
  const frozen = JSON.stringify([...state.pods.keys(), [...state.knownUids], state.lastDetail, state.seq]);
  readinessStep(state, { type: 'pod', change: 'ADDED', pod: running('p1') as never });
  assert.equal(JSON.stringify([...state.pods.keys(), [...state.knownUids], state.lastDetail, state.seq]), frozen);
});
