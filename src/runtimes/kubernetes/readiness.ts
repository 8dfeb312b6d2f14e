/**
 * Waiting for a spark's pod with watches, not polling: every phase change and every event about the
 * spark's pod, ReplicaSet, Deployment and home volume is reported as it happens, and a reason that
 * will not fix itself (a missing image, a crash loop, an unschedulable pod, a volume that cannot be
 * provisioned) ends the wait at once with the cause and its fix — not at the deadline.
 */
import { SparkError, type SparkErrorCode } from '../../errors.js';
import type { OnProgress } from '../../core/ports.js';
import { k8s, type KubeClient } from './client.js';
import { httpStatusOf, mapKubeError, type KubeOperation } from './errors.js';
import { CONTAINER_NAME, configMapName, deploymentName, pvcName, secretName, sparkSelector } from './labels.js';

// ---------------------------------------------------------------------------------------------
// Pure classification (unit-testable without a server)

/** Objects arrive both deserialized by the client (dates as Date) and raw from watches (strings). */
type Time = Date | string | undefined | null;

export function millis(value: Time): number | undefined {
  if (!value) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export type Verdict =
  | { kind: 'ready' }
  | { kind: 'waiting'; detail: string }
  | { kind: 'fatal'; error: SparkError; reason: string };

export interface VerdictContext {
  sparkName: string;
  namespace: string;
  /** The home volume is known to be unbound (phase Pending): an Unschedulable pod is then waiting for it. */
  volumePending?: boolean;
}

const IMAGE_FATAL = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_FATAL = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function fatal(reason: string, message: string, hint: string, code: SparkErrorCode): Verdict {
  return { kind: 'fatal', reason, error: new SparkError(message, { hint, code }) };
}

/** The ready condition, or what the pod is waiting for, or the fatal reason with its fix. */
export function podVerdict(pod: k8s.V1Pod, ctx: VerdictContext): Verdict {
  const ns = ctx.namespace;
  const podName = pod.metadata?.name ?? '?';
  const describePod = `kubectl -n ${ns} describe pod ${podName}`;
  if (pod.metadata?.deletionTimestamp) return { kind: 'waiting', detail: 'the previous pod is stopping' };
  const conditions = pod.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return { kind: 'ready' };

  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const why = scheduled.message ? `: ${scheduled.message}` : '';
    if (ctx.volumePending) return { kind: 'waiting', detail: `waiting for the home volume ${pvcName(ctx.sparkName)} to be bound` };
    return fatal(
      'Unschedulable',
      `The pod of spark "${ctx.sparkName}" cannot be scheduled (Unschedulable${why}).`,
      `See why: ${describePod}\nThe nodes may lack free CPU or memory for the spark's requests (SPARK_CPU_REQUEST, SPARK_MEMORY_REQUEST), or the home volume cannot be placed (kubectl -n ${ns} get pvc ${pvcName(ctx.sparkName)}; kubectl get storageclass; SPARK_STORAGE_CLASS).`,
      'READY_UNSCHEDULABLE',
    );
  }

  const specImage = pod.spec?.containers?.find((c) => c.name === CONTAINER_NAME)?.image ?? pod.spec?.containers?.[0]?.image;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const waiting = cs.state?.waiting;
    const reason = waiting?.reason;
    if (!reason) continue;
    const message = waiting.message ? ` (${waiting.message})` : '';
    if (IMAGE_FATAL.has(reason)) {
      const image = specImage ?? cs.image;
      return fatal(
        reason,
        `Cannot pull the image "${image}" for spark "${ctx.sparkName}": ${reason}${message}.`,
        `Check SPARK_IMAGE (now "${image}"): the image must exist and the cluster's nodes must be able to pull it (registry address, credentials, network). Details: ${describePod}`,
        'READY_IMAGE_PULL',
      );
    }
    if (reason === 'CrashLoopBackOff') {
      const last = cs.lastState?.terminated;
      const exit = last ? ` — it exited with code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '';
      return fatal(
        reason,
        `The container of spark "${ctx.sparkName}" keeps crashing (CrashLoopBackOff, ${cs.restartCount ?? 0} restarts${exit}).`,
        `See why it exits: kubectl -n ${ns} logs ${podName} --previous`,
        'READY_CRASHLOOP',
      );
    }
    if (CONFIG_FATAL.has(reason)) {
      return fatal(
        reason,
        `The container of spark "${ctx.sparkName}" cannot be started: ${reason}${message}.`,
        `Its Secret ${secretName(ctx.sparkName)} or ConfigMap ${configMapName(ctx.sparkName)} is missing or incomplete. Details: ${describePod}\nRe-create the spark: spark delete ${ctx.sparkName} && spark create ${ctx.sparkName}`,
        'READY_CONFIG',
      );
    }
  }
  for (const cs of statuses) {
    const reason = cs.state?.waiting?.reason;
    if (reason === 'ErrImagePull') return { kind: 'waiting', detail: `pulling the image ${specImage ?? cs.image} failed, retrying${cs.state?.waiting?.message ? ` (${cs.state.waiting.message})` : ''}` };
    if (reason) return { kind: 'waiting', detail: reason };
  }

  const phase = pod.status?.phase ?? 'Pending';
  if (phase === 'Failed') return { kind: 'waiting', detail: `the pod failed (${pod.status?.reason ?? 'unknown reason'}); waiting for a new one` };
  if (phase === 'Running') {
    const restarts = statuses.reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
    return { kind: 'waiting', detail: `starting SSH${restarts ? ` (${restarts} restart${restarts === 1 ? '' : 's'})` : ''}` };
  }
  if (scheduled?.status !== 'True') return { kind: 'waiting', detail: 'scheduling the pod' };
  return { kind: 'waiting', detail: phase };
}

/** The event's time: its last occurrence (core/v1 events carry several fields, some unset). */
export function eventTime(event: k8s.CoreV1Event): number | undefined {
  return millis(event.lastTimestamp) ?? millis(event.eventTime as Time) ?? millis(event.firstTimestamp) ?? millis(event.metadata?.creationTimestamp);
}

/** Fatal Warning events (a volume that cannot be provisioned, a pod the cluster refuses to create). */
export function eventVerdict(event: k8s.CoreV1Event, ctx: VerdictContext): Verdict | undefined {
  if (event.type !== 'Warning') return undefined;
  const ns = ctx.namespace;
  const message = event.message ? `: ${event.message}` : '';
  if (event.reason === 'ProvisioningFailed') {
    const pvc = pvcName(ctx.sparkName);
    return fatal(
      'ProvisioningFailed',
      `The home volume ${pvc} of spark "${ctx.sparkName}" cannot be provisioned (ProvisioningFailed${message}).`,
      `Check the storage class: kubectl get storageclass — set SPARK_STORAGE_CLASS to one that exists, or mark one as the default. Details: kubectl -n ${ns} describe pvc ${pvc}`,
      'READY_VOLUME',
    );
  }
  if (event.reason === 'FailedCreate' && event.involvedObject?.kind === 'ReplicaSet') {
    return fatal(
      'FailedCreate',
      `The cluster refused to create the pod of spark "${ctx.sparkName}" (FailedCreate${message}).`,
      `A quota or pod security policy of namespace ${ns} may forbid it. Details: kubectl -n ${ns} describe rs -l spark-name=${ctx.sparkName}`,
      'READY_REJECTED',
    );
  }
  return undefined;
}

/** A one-line description of an event for progress, e.g. "FailedMount: MountVolume.SetUp failed …". */
export function describeEvent(event: k8s.CoreV1Event): string {
  return `${event.reason ?? 'Event'}${event.message ? `: ${event.message}` : ''}`;
}

/** The prefix of the init script's progress lines in the container log (see init-script.ts). */
export const STEP_PREFIX = 'spark-step: ';

/** "ssh-server started" from "spark-step: ssh-server started"; undefined for other lines. */
export function stepLine(line: string): string | undefined {
  return line.startsWith(STEP_PREFIX) ? line.slice(STEP_PREFIX.length).trim() || undefined : undefined;
}

/**
 * Follows the container log (pods/log) and hands each step line to `onStep` until `signal`
 * aborts. Best effort: logs explain, the pod's Ready condition decides.
 */
async function followSetupLog(client: KubeClient, namespace: string, pod: string, signal: AbortSignal, onStep: (step: string) => void): Promise<void> {
  const { Writable } = await import('node:stream');
  let buffer = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      buffer += chunk.toString('utf8');
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const step = stepLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        if (step) onStep(step);
      }
      done();
    },
  });
  try {
    if (signal.aborted) return;
    const controller = await new k8s.Log(client.kc).log(namespace, pod, CONTAINER_NAME, sink, { follow: true });
    if (signal.aborted) controller.abort();
    else signal.addEventListener('abort', () => controller.abort(), { once: true });
  } catch {
    // No pods/log permission, or the container already gone: the wait goes on without it.
  }
}

// ---------------------------------------------------------------------------------------------
// Watches that survive their stream ending

interface Listed<T> {
  items: T[];
  resourceVersion: string;
}

interface FollowOptions<T> {
  client: KubeClient;
  /** e.g. /api/v1/namespaces/spark/pods */
  path: string;
  operation: KubeOperation;
  query?: Record<string, string>;
  list: () => Promise<Listed<T>>;
  /** The full state after a (re-)list. */
  onSync: (items: T[]) => void;
  onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T) => void;
  /** A failure that re-watching cannot cure (403, or the server unreachable several times running). */
  onError: (error: SparkError) => void;
  signal: AbortSignal;
}

type WatchEnd = { kind: 'ended' } | { kind: 'gone' } | { kind: 'error'; error: unknown };

const MAX_CONSECUTIVE_FAILURES = 3;

/**
 * List, then watch from the list's resourceVersion; when the stream ends, watch again from the last
 * resourceVersion seen; on 410 Gone (history compacted), list again. Runs until `signal` aborts.
 */
export async function follow<T extends { metadata?: { resourceVersion?: string } }>(options: FollowOptions<T>): Promise<void> {
  const { client, signal } = options;
  const watch = new k8s.Watch(client.kc);
  let resourceVersion: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const listed = await options.list();
        if (signal.aborted) return;
        options.onSync(listed.items);
        resourceVersion = listed.resourceVersion;
      }
      let sawEvent = false;
      let onAbort: (() => void) | undefined;
      const end = await new Promise<WatchEnd>((resolve) => {
        let settled = false;
        let controller: AbortController | undefined;
        const settle = (value: WatchEnd): void => {
          if (settled) return;
          settled = true;
          // An ERROR event leaves the stream open; an abort must close it too.
          controller?.abort();
          resolve(value);
        };
        onAbort = () => settle({ kind: 'ended' });
        signal.addEventListener('abort', onAbort, { once: true });
        const query = { ...options.query, resourceVersion, allowWatchBookmarks: true };
        watch
          .watch(
            options.path,
            query,
            (type, object: unknown) => {
              if (settled) return;
              if (type === 'ERROR') {
                const status = object as { code?: number };
                settle(status.code === 410 ? { kind: 'gone' } : { kind: 'error', error: { code: status.code ?? 500, body: object } });
                return;
              }
              const rv = (object as T).metadata?.resourceVersion;
              if (rv) resourceVersion = rv;
              if (type === 'BOOKMARK') return;
              sawEvent = true;
              options.onEvent(type as 'ADDED' | 'MODIFIED' | 'DELETED', object as T);
            },
            (error: unknown) => {
              if (!error) settle({ kind: 'ended' });
              else settle(httpStatusOf(error) === 410 ? { kind: 'gone' } : { kind: 'error', error });
            },
          )
          .then((c) => {
            controller = c;
            if (settled) c.abort();
          })
          .catch((error: unknown) => settle({ kind: 'error', error }));
      });
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return;
      if (end.kind === 'gone') {
        resourceVersion = undefined;
        continue;
      }
      if (end.kind === 'error') throw end.error;
      if (!sawEvent) failures += 0.5; // a stream that keeps ending at once must not spin
      else failures = 0;
      if (failures >= MAX_CONSECUTIVE_FAILURES) await pause(250, signal);
    } catch (error) {
      if (signal.aborted) return;
      const mapped = mapKubeError(error, client.target, options.operation);
      if (mapped.code !== 'KUBE_UNREACHABLE' && mapped.code !== 'KUBE_API_ERROR' && mapped.code !== 'KUBE_TIMEOUT' && mapped.code !== 'KUBE_FAILED') {
        options.onError(mapped);
        return;
      }
      failures += 1;
      if (failures >= MAX_CONSECUTIVE_FAILURES) {
        options.onError(mapped);
        return;
      }
      await pause(200 * 2 ** failures, signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// The wait

export interface WaitForPodOptions {
  timeoutMs: number;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

const STEP = 'Waiting for the spark';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
}

export function readyTimeout(name: string, timeoutMs: number, last: string | undefined): SparkError {
  return new SparkError(`Spark "${name}" is not ready after ${formatDuration(timeoutMs)}${last ? ` (last: ${last})` : ''}.`, {
    hint: `The spark is kept and may still come up. Follow it with: spark status ${name}\nConnect later with: spark shell ${name}\nOr remove it: spark delete ${name}`,
    code: 'READY_TIMEOUT',
  });
}

/**
 * Resolve with the ready pod of the spark; reject with a SparkError on a fatal reason (at once),
 * at the deadline (READY_TIMEOUT: the spark is kept), or when `signal` aborts (INTERRUPTED).
 */
export async function waitForPod(client: KubeClient, name: string, options: WaitForPodOptions): Promise<k8s.V1Pod> {
  const ns = client.namespace;
  const stop = new AbortController();
  const signals = [stop.signal, ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  const ctx: VerdictContext = { sparkName: name, namespace: ns };
  const progress = options.onProgress ?? (() => {});
  let lastDetail: string | undefined;
  let done = false;
  const report = (detail: string): void => {
    if (done || detail === lastDetail) return;
    lastDetail = detail;
    progress({ step: STEP, detail });
  };

  return new Promise<k8s.V1Pod>((resolve, reject) => {
    const timer = setTimeout(() => finish(readyTimeout(name, options.timeoutMs, lastDetail)), options.timeoutMs);
    const onAbort = (): void => finish(new SparkError('Interrupted.', { code: 'INTERRUPTED' }));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function finish(outcome: SparkError | k8s.V1Pod): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }
    if (options.signal?.aborted) return onAbort();

    const pods = new Map<string, k8s.V1Pod>();
    const followedLogs = new Set<string>();
    const knownUids = new Set<string>();
    /** Events about pods not seen yet (events and pods arrive on different streams). */
    const pendingPodEvents = new Map<string, k8s.CoreV1Event[]>();
    let since = 0;
    let volumeUid: string | undefined;
    let volumeRefresh: Promise<void> | undefined;
    // Arrival order: an Unschedulable condition written before the volume was bound is stale.
    let seq = 0;
    let volumeReadySeq = 0;
    const podSeq = new Map<string, number>();
    const rsName = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]{5,10}$`);

    const setVolumePending = (pending: boolean): void => {
      if (pending === ctx.volumePending) return;
      if (!pending) volumeReadySeq = ++seq;
      ctx.volumePending = pending;
      evaluate();
    };
    const refreshVolume = (): void => {
      if (volumeRefresh || done) return;
      volumeRefresh = client
        .find({ verb: 'get', resource: 'persistentvolumeclaims', name: pvcName(name) }, (o) => client.core.readNamespacedPersistentVolumeClaim({ name: pvcName(name), namespace: ns }, o), { signal })
        .then((pvc) => setVolumePending(pvc?.status?.phase === 'Pending'))
        .catch(() => {})
        .finally(() => (volumeRefresh = undefined));
    };

    const evaluate = (): void => {
      if (done) return;
      // The newest pod that is not on its way out is the one that matters.
      const current = [...pods.values()]
        .filter((p) => !p.metadata?.deletionTimestamp)
        .sort((a, b) => (millis(b.metadata?.creationTimestamp) ?? 0) - (millis(a.metadata?.creationTimestamp) ?? 0))[0];
      if (!current) {
        report(pods.size ? 'the previous pod is stopping' : 'waiting for the pod to be created');
        return;
      }
      const verdict = podVerdict(current, ctx);
      if (verdict.kind === 'ready') return finish(current);
      const uid = current.metadata?.uid ?? '';
      const running = current.status?.containerStatuses?.some((c) => c.name === CONTAINER_NAME && c.state?.running);
      if (running && !followedLogs.has(uid)) {
        // The spark's own setup (e.g. installing openssh-server on a plain image) until it is ready.
        followedLogs.add(uid);
        void followSetupLog(client, ns, current.metadata?.name ?? '', signal, (step) => report(`setup: ${step}`));
      }
      if (verdict.kind === 'fatal') {
        if (verdict.reason === 'Unschedulable' && (podSeq.get(current.metadata?.uid ?? '') ?? 0) <= volumeReadySeq) {
          // Judged while the volume was still unbound: wait for the scheduler's next attempt.
          report('the home volume is bound; scheduling the pod again');
          return;
        }
        return finish(verdict.error);
      }
      if (ctx.volumePending && current.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')) refreshVolume();
      report(verdict.detail);
    };

    const onRelevantEvent = (event: k8s.CoreV1Event): void => {
      const verdict = eventVerdict(event, ctx);
      if (verdict?.kind === 'fatal') return finish(verdict.error);
      report(describeEvent(event));
    };

    const onEvent = (event: k8s.CoreV1Event): void => {
      if (done) return;
      const involved = event.involvedObject;
      const uid = involved?.uid;
      if (involved?.kind === 'Pod' && uid && !knownUids.has(uid)) {
        // Perhaps a pod we have not seen yet: keep it until the pod stream catches up.
        if (involved.name?.startsWith(`${name}-`)) {
          const list = pendingPodEvents.get(uid) ?? [];
          if (list.length < 20) list.push(event);
          pendingPodEvents.set(uid, list);
        }
        return;
      }
      const recent = (eventTime(event) ?? 0) >= since;
      const relevant =
        (uid !== undefined && knownUids.has(uid)) ||
        (involved?.kind === 'PersistentVolumeClaim' && involved.name === pvcName(name) && (volumeUid ? uid === volumeUid || !uid : recent)) ||
        (involved?.kind === 'ReplicaSet' && rsName.test(involved.name ?? '') && recent) ||
        (involved?.kind === 'Deployment' && involved.name === deploymentName(name) && recent);
      if (!relevant) return;
      if (involved?.kind === 'PersistentVolumeClaim') {
        // WaitForFirstConsumer: the volume waits for the pod, so it is not what blocks scheduling.
        if (event.reason === 'ProvisioningSucceeded' || event.reason === 'WaitForFirstConsumer') setVolumePending(false);
      }
      onRelevantEvent(event);
    };

    const onPod = (type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: k8s.V1Pod, judge = true): void => {
      const uid = pod.metadata?.uid;
      if (!uid) return;
      if (type === 'DELETED') {
        pods.delete(uid);
      } else {
        pods.set(uid, pod);
        podSeq.set(uid, ++seq);
        if (!knownUids.has(uid)) {
          knownUids.add(uid);
          for (const event of pendingPodEvents.get(uid) ?? []) onRelevantEvent(event);
          pendingPodEvents.delete(uid);
        }
      }
      if (judge) evaluate();
    };

    const fail = (error: SparkError): void => finish(error);

    void (async () => {
      // The Deployment must exist (else there is nothing to wait for); it and the claim date the events that matter.
      const [deployment, volume] = await Promise.all([
        client.find({ verb: 'get', resource: 'deployments', group: 'apps', name }, (o) => client.apps.readNamespacedDeployment({ name: deploymentName(name), namespace: ns }, o), { signal }),
        client.find({ verb: 'get', resource: 'persistentvolumeclaims', name: pvcName(name) }, (o) => client.core.readNamespacedPersistentVolumeClaim({ name: pvcName(name), namespace: ns }, o), { signal }),
      ]);
      if (!deployment) {
        throw new SparkError(`Spark "${name}" has no Deployment in namespace ${ns}: there is nothing to wait for.`, {
          hint: `See what is left of it: spark status ${name}; remove it: spark delete ${name}`,
          code: 'NOT_FOUND',
        });
      }
      since = (millis(deployment.metadata?.creationTimestamp) ?? 0) - 1000;
      volumeUid = volume?.metadata?.uid;
      ctx.volumePending = volume?.status?.phase === 'Pending';
      for (const uid of [deployment.metadata?.uid, volumeUid]) if (uid) knownUids.add(uid);
      report('waiting for the pod to be created');

      const selector = sparkSelector(name);
      void follow<k8s.V1Pod>({
        client,
        path: `/api/v1/namespaces/${ns}/pods`,
        operation: { verb: 'watch', resource: 'pods' },
        query: { labelSelector: selector },
        list: async () => {
          const list = await client.call({ verb: 'list', resource: 'pods' }, (o) => client.core.listNamespacedPod({ namespace: ns, labelSelector: selector }, o), { signal });
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '0' };
        },
        onSync: (items) => {
          const fresh = new Map(items.map((p) => [p.metadata?.uid ?? '', p]));
          for (const uid of pods.keys()) if (!fresh.has(uid)) pods.delete(uid);
          for (const pod of items) onPod('ADDED', pod, false);
          evaluate();
        },
        onEvent: onPod,
        onError: fail,
        signal,
      });
      void follow<k8s.CoreV1Event>({
        client,
        path: `/api/v1/namespaces/${ns}/events`,
        operation: { verb: 'watch', resource: 'events' },
        list: async () => {
          const list = await client.call({ verb: 'list', resource: 'events' }, (o) => client.core.listNamespacedEvent({ namespace: ns }, o), { signal });
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '0' };
        },
        onSync: (items) => {
          for (const event of [...items].sort((a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0))) onEvent(event);
        },
        onEvent: (type, event) => {
          if (type !== 'DELETED') onEvent(event);
        },
        // Events explain, the pod decides: a cluster that hides events still gets a wait.
        onError: () => {},
        signal,
      });
    })().catch((error: unknown) => finish(mapKubeError(error, client.target, { verb: 'get', resource: 'deployments', group: 'apps', name }, { aborted: options.signal?.aborted })));
  });
}
