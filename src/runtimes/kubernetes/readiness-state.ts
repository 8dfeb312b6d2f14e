/**
 * The readiness wait as a pure reducer: what the watches saw goes in (the Deployment and home
 * volume at the start, pods and events as listed or changed, the volume's phase when asked again),
 * the new state and what to do come out (progress to show, ready, a fatal reason, a log to follow,
 * the volume to read again). No I/O and no clock: readiness.ts runs the watches around it, and
 * test/kube/readiness-state.test.ts drives it without a server.
 */
import type { SparkError } from '../../errors.js';
import type { k8s } from './client.js';
import { CONTAINER_NAME, deploymentName, pvcName } from './labels.js';
import { currentPod, eventTime, millis } from './pods.js';
import { describeEvent, eventVerdict, podVerdict, type VerdictContext } from './verdicts.js';

export interface ReadinessState {
  readonly ctx: Readonly<VerdictContext>;
  /** Pods of the spark by uid (the stream's view). */
  readonly pods: ReadonlyMap<string, k8s.V1Pod>;
  /** Arrival order of each pod's last version: an Unschedulable condition older than the bound volume is stale. */
  readonly podSeq: ReadonlyMap<string, number>;
  readonly seq: number;
  readonly volumeReadySeq: number;
  /** Objects whose events matter: the Deployment, the volume, every pod seen. */
  readonly knownUids: ReadonlySet<string>;
  /** Events about pods not seen yet (events and pods arrive on different streams). */
  readonly pendingPodEvents: ReadonlyMap<string, readonly k8s.CoreV1Event[]>;
  /** Pods whose setup log is being followed. */
  readonly followedLogs: ReadonlySet<string>;
  /** Events older than this (the Deployment's creation, less a second) are someone else's. */
  readonly since: number;
  readonly volumeUid?: string;
  readonly lastDetail?: string;
  readonly done: boolean;
}

export type ReadinessInput =
  | { type: 'start'; deployment: k8s.V1Deployment; volume?: k8s.V1PersistentVolumeClaim }
  | { type: 'pods-listed'; pods: k8s.V1Pod[] }
  | { type: 'pod'; change: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: k8s.V1Pod }
  | { type: 'events-listed'; events: k8s.CoreV1Event[] }
  | { type: 'event'; event: k8s.CoreV1Event }
  | { type: 'volume'; pending: boolean }
  | { type: 'setup-step'; step: string };

export type ReadinessOutput =
  | { kind: 'progress'; detail: string }
  | { kind: 'ready'; pod: k8s.V1Pod }
  | { kind: 'fatal'; error: SparkError }
  /** Follow this pod's container log for the setup steps (its container runs, it is not ready yet). */
  | { kind: 'follow-log'; pod: string }
  /** Read the home volume's phase again (an Unschedulable pod may be waiting for it). */
  | { kind: 'refresh-volume' };

export function initialReadiness(sparkName: string, namespace: string): ReadinessState {
  return {
    ctx: { sparkName, namespace },
    pods: new Map(),
    podSeq: new Map(),
    seq: 0,
    volumeReadySeq: 0,
    knownUids: new Set(),
    pendingPodEvents: new Map(),
    followedLogs: new Set(),
    since: 0,
    done: false,
  };
}

/** One step of the wait. Once ready or fatal (`done`), nothing more comes out. */
export function readinessStep(state: ReadinessState, input: ReadinessInput): { state: ReadinessState; out: ReadinessOutput[] } {
  if (state.done) return { state, out: [] };
  const step = new Step(state);
  step.apply(input);
  return { state: step.result(), out: step.out };
}

/** The reducer's working copy: the input is applied to copies, never to the state given. */
class Step {
  readonly out: ReadinessOutput[] = [];
  private ctx: VerdictContext;
  private pods: Map<string, k8s.V1Pod>;
  private podSeq: Map<string, number>;
  private knownUids: Set<string>;
  private pendingPodEvents: Map<string, readonly k8s.CoreV1Event[]>;
  private followedLogs: Set<string>;
  private seq: number;
  private volumeReadySeq: number;
  private since: number;
  private volumeUid?: string;
  private lastDetail?: string;
  private done: boolean;
  private readonly rsName: RegExp;

  constructor(state: ReadinessState) {
    this.ctx = { ...state.ctx };
    this.pods = new Map(state.pods);
    this.podSeq = new Map(state.podSeq);
    this.knownUids = new Set(state.knownUids);
    this.pendingPodEvents = new Map(state.pendingPodEvents);
    this.followedLogs = new Set(state.followedLogs);
    this.seq = state.seq;
    this.volumeReadySeq = state.volumeReadySeq;
    this.since = state.since;
    this.volumeUid = state.volumeUid;
    this.lastDetail = state.lastDetail;
    this.done = state.done;
    // The spark's ReplicaSets: <deployment>-<pod-template-hash>.
    this.rsName = new RegExp(`^${deploymentName(state.ctx.sparkName).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]{5,10}$`);
  }

  result(): ReadinessState {
    const { ctx, pods, podSeq, seq, volumeReadySeq, knownUids, pendingPodEvents, followedLogs, since, volumeUid, lastDetail, done } = this;
    return { ctx, pods, podSeq, seq, volumeReadySeq, knownUids, pendingPodEvents, followedLogs, since, volumeUid, lastDetail, done };
  }

  apply(input: ReadinessInput): void {
    switch (input.type) {
      case 'start': {
        const { deployment, volume } = input;
        this.since = (millis(deployment.metadata?.creationTimestamp) ?? 0) - 1000;
        this.volumeUid = volume?.metadata?.uid;
        this.ctx.volumePending = volume?.status?.phase === 'Pending';
        for (const uid of [deployment.metadata?.uid, this.volumeUid]) if (uid) this.knownUids.add(uid);
        return this.report('waiting for the pod to be created');
      }
      case 'pods-listed': {
        const fresh = new Set(input.pods.map((p) => p.metadata?.uid ?? ''));
        for (const uid of this.pods.keys()) if (!fresh.has(uid)) this.pods.delete(uid);
        for (const pod of input.pods) this.onPod('ADDED', pod, false);
        return this.evaluate();
      }
      case 'pod':
        return this.onPod(input.change, input.pod, true);
      case 'events-listed':
        for (const event of [...input.events].sort((a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0))) this.onEvent(event);
        return;
      case 'event':
        return this.onEvent(input.event);
      case 'volume':
        return this.setVolumePending(input.pending);
      case 'setup-step':
        return this.report(`setup: ${input.step}`);
    }
  }

  private report(detail: string): void {
    if (this.done || detail === this.lastDetail) return;
    this.lastDetail = detail;
    this.out.push({ kind: 'progress', detail });
  }

  private finish(output: Extract<ReadinessOutput, { kind: 'ready' | 'fatal' }>): void {
    if (this.done) return;
    this.done = true;
    this.out.push(output);
  }

  private setVolumePending(pending: boolean): void {
    if (pending === this.ctx.volumePending) return;
    if (!pending) this.volumeReadySeq = ++this.seq;
    this.ctx.volumePending = pending;
    this.evaluate();
  }

  private evaluate(): void {
    if (this.done) return;
    // The newest pod that is not on its way out is the one that matters.
    const newest = currentPod(this.pods.values());
    const current = newest && !newest.metadata?.deletionTimestamp ? newest : undefined;
    if (!current) return this.report(this.pods.size ? 'the previous pod is stopping' : 'waiting for the pod to be created');
    const verdict = podVerdict(current, this.ctx);
    if (verdict.kind === 'ready') return this.finish({ kind: 'ready', pod: current });
    const uid = current.metadata?.uid ?? '';
    const running = current.status?.containerStatuses?.some((c) => c.name === CONTAINER_NAME && c.state?.running);
    if (running && !this.followedLogs.has(uid)) {
      // The spark's own setup (e.g. installing openssh-server on a plain image) until it is ready.
      this.followedLogs.add(uid);
      this.out.push({ kind: 'follow-log', pod: current.metadata?.name ?? '' });
    }
    if (verdict.kind === 'fatal') {
      if (verdict.reason === 'Unschedulable' && ((this.podSeq.get(uid) ?? 0) <= this.volumeReadySeq || judgedBeforeBinding(current))) {
        // Judged while the volume was still unbound: wait for the scheduler's next attempt.
        return this.report('the home volume is bound; scheduling the pod again');
      }
      return this.finish({ kind: 'fatal', error: verdict.error });
    }
    if (this.ctx.volumePending && current.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')) this.out.push({ kind: 'refresh-volume' });
    this.report(verdict.detail);
  }

  private onRelevantEvent(event: k8s.CoreV1Event): void {
    const verdict = eventVerdict(event, this.ctx);
    if (verdict?.kind === 'fatal') return this.finish({ kind: 'fatal', error: verdict.error });
    this.report(describeEvent(event));
  }

  private onEvent(event: k8s.CoreV1Event): void {
    if (this.done) return;
    const name = this.ctx.sparkName;
    const involved = event.involvedObject;
    const uid = involved?.uid;
    if (involved?.kind === 'Pod' && uid && !this.knownUids.has(uid)) {
      // Perhaps a pod we have not seen yet: keep it until the pod stream catches up.
      if (involved.name?.startsWith(`${name}-`)) {
        const list = this.pendingPodEvents.get(uid) ?? [];
        this.pendingPodEvents.set(uid, list.length < 20 ? [...list, event] : list);
      }
      return;
    }
    const recent = (eventTime(event) ?? 0) >= this.since;
    const relevant =
      (uid !== undefined && this.knownUids.has(uid)) ||
      (involved?.kind === 'PersistentVolumeClaim' && involved.name === pvcName(name) && (this.volumeUid ? uid === this.volumeUid || !uid : recent)) ||
      (involved?.kind === 'ReplicaSet' && this.rsName.test(involved.name ?? '') && recent) ||
      (involved?.kind === 'Deployment' && involved.name === deploymentName(name) && recent);
    if (!relevant) return;
    if (involved?.kind === 'PersistentVolumeClaim') {
      // WaitForFirstConsumer: the volume waits for the pod, so it is not what blocks scheduling.
      if (event.reason === 'ProvisioningSucceeded' || event.reason === 'WaitForFirstConsumer') this.setVolumePending(false);
    }
    this.onRelevantEvent(event);
  }

  private onPod(change: 'ADDED' | 'MODIFIED' | 'DELETED', pod: k8s.V1Pod, judge: boolean): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (change === 'DELETED') {
      this.pods.delete(uid);
    } else {
      this.pods.set(uid, pod);
      this.podSeq.set(uid, ++this.seq);
      if (!this.knownUids.has(uid)) {
        this.knownUids.add(uid);
        for (const event of this.pendingPodEvents.get(uid) ?? []) this.onRelevantEvent(event);
        this.pendingPodEvents.delete(uid);
      }
    }
    if (judge) this.evaluate();
  }
}

/**
 * The scheduler's volume-binding verdict on a volume we already read as bound: the scheduler judged
 * the pod before its cache saw the binding (a create that reads back fast meets this), and it
 * requeues the pod when the claim changes. The one message read here: the scheduler gives this
 * verdict no reason of its own (k8s.io/kubernetes pkg/scheduler/framework/plugins/volumebinding,
 * ErrReasonUnboundImmediatePVC).
 */
function judgedBeforeBinding(pod: k8s.V1Pod): boolean {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  return scheduled?.reason === 'Unschedulable' && /unbound immediate PersistentVolumeClaims/.test(scheduled.message ?? '');
}
