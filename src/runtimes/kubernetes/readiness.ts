/**
 * Waiting for a spark's pod with watches, not polling: every phase change and every event about the
 * spark's pod, ReplicaSet, Deployment and home volume is reported as it happens, and a reason that
 * will not fix itself (a missing image, a crash loop, an unschedulable pod, a volume that cannot be
 * provisioned) ends the wait at once with the cause and its fix — not at the deadline.
 */
import { SparkError } from '../../errors.js';
import type { OnProgress } from '../../core/ports.js';
import type { k8s, KubeClient, ListOf } from './client.js';
import { httpStatusOf, mapKubeError, type KubeOperation } from './errors.js';
import { CONTAINER_NAME, deploymentName, pvcName, sparkSelector } from './labels.js';
import { initialReadiness, readinessStep, type ReadinessInput, type ReadinessState } from './readiness-state.js';

// What callers import from here (the classification and the pod helpers live beside it).
export { describeEvent, eventVerdict, podVerdict, type Verdict, type VerdictContext } from './verdicts.js';
export { eventTime, millis } from './pods.js';

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
async function followSetupLog(client: KubeClient, pod: string, signal: AbortSignal, onStep: (step: string) => void): Promise<void> {
  let buffer = '';
  const write = (chunk: string): void => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const step = stepLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
      if (step) onStep(step);
    }
  };
  try {
    if (signal.aborted) return;
    await client.rest.stream({ path: client.path(undefined, 'pods', pod, 'log'), query: { container: CONTAINER_NAME, follow: 'true' }, accept: '*/*', signal }, write);
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
      // Aborted while listing (e.g. the object was already gone): no watch to start.
      if (signal.aborted) return;
      let sawEvent = false;
      let onAbort: (() => void) | undefined;
      const end = await new Promise<WatchEnd>((resolve) => {
        let settled = false;
        const controller = new AbortController();
        const settle = (value: WatchEnd): void => {
          if (settled) return;
          settled = true;
          // An ERROR event leaves the stream open; an abort must close it too.
          controller.abort();
          resolve(value);
        };
        onAbort = () => settle({ kind: 'ended' });
        signal.addEventListener('abort', onAbort, { once: true });
        const query = { ...options.query, watch: 'true', resourceVersion, allowWatchBookmarks: 'true' };
        // One JSON event a line (the watch protocol); a line may arrive in pieces.
        let pending = '';
        const onLine = (line: string): void => {
          if (settled || !line.trim()) return;
          let parsed: { type?: string; object?: unknown };
          try {
            parsed = JSON.parse(line) as { type?: string; object?: unknown };
          } catch (error) {
            return settle({ kind: 'error', error });
          }
          const { type, object } = parsed;
          if (type === 'ERROR') {
            const status = object as { code?: number };
            return settle(status.code === 410 ? { kind: 'gone' } : { kind: 'error', error: { code: status.code ?? 500, body: object } });
          }
          const rv = (object as T).metadata?.resourceVersion;
          if (rv) resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          sawEvent = true;
          options.onEvent(type as 'ADDED' | 'MODIFIED' | 'DELETED', object as T);
        };
        client.rest
          .stream({ path: options.path, query, signal: controller.signal }, (chunk) => {
            pending += chunk;
            for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
              const line = pending.slice(0, i);
              pending = pending.slice(i + 1);
              onLine(line);
            }
          })
          .then(() => {
            onLine(pending);
            settle({ kind: 'ended' });
          })
          .catch((error: unknown) => settle(httpStatusOf(error) === 410 ? { kind: 'gone' } : { kind: 'error', error }));
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
 * The watches feed what they see to the reducer (readiness-state.ts) and carry out what it asks.
 */
export async function waitForPod(client: KubeClient, name: string, options: WaitForPodOptions): Promise<k8s.V1Pod> {
  const ns = client.namespace;
  const stop = new AbortController();
  const signals = [stop.signal, ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  const progress = options.onProgress ?? (() => {});
  let state: ReadinessState = initialReadiness(name, ns);
  let done = false;

  return new Promise<k8s.V1Pod>((resolve, reject) => {
    const timer = setTimeout(() => finish(readyTimeout(name, options.timeoutMs, state.lastDetail)), options.timeoutMs);
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

    let volumeRefresh: Promise<void> | undefined;
    const readVolume = () => client.find<k8s.V1PersistentVolumeClaim>({ verb: 'get', resource: 'persistentvolumeclaims', name: pvcName(name) }, client.path(undefined, 'persistentvolumeclaims', pvcName(name)), { signal });
    const refreshVolume = (): void => {
      if (volumeRefresh || done) return;
      volumeRefresh = readVolume()
        .then((pvc) => feed({ type: 'volume', pending: pvc?.status?.phase === 'Pending' }))
        .catch(() => {})
        .finally(() => (volumeRefresh = undefined));
    };

    /** One input through the reducer; then do what it says. */
    const eventsOfPods = new Set<string>();
    function followEvents(fieldSelector: string): void {
      const path = client.path(undefined, 'events');
      void follow<k8s.CoreV1Event>({
        client,
        path,
        operation: { verb: 'watch', resource: 'events' },
        query: { fieldSelector },
        list: async () => {
          const list = await client.get<ListOf<k8s.CoreV1Event>>({ verb: 'list', resource: 'events' }, path, { fieldSelector }, { signal });
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '0' };
        },
        onSync: (events) => feed({ type: 'events-listed', events }),
        onEvent: (type, event) => {
          if (type !== 'DELETED') feed({ type: 'event', event });
        },
        // Events explain, the pod decides: a cluster that hides events still gets a wait.
        onError: () => {},
        signal,
      });
    }
    /** Follow the events of each pod of the spark from when the pod stream first shows it. */
    function followPodEvents(pods: k8s.V1Pod[]): void {
      for (const pod of pods) {
        const podName = pod.metadata?.name;
        if (!podName || eventsOfPods.has(podName)) continue;
        eventsOfPods.add(podName);
        followEvents(`involvedObject.kind=Pod,involvedObject.name=${podName}`);
      }
    }

    function feed(input: ReadinessInput): void {
      if (done) return;
      if (input.type === 'pods-listed') followPodEvents(input.pods);
      if (input.type === 'pod' && input.change !== 'DELETED') followPodEvents([input.pod]);
      const next = readinessStep(state, input);
      state = next.state;
      for (const output of next.out) {
        if (output.kind === 'progress') progress({ step: STEP, detail: output.detail });
        else if (output.kind === 'ready') finish(output.pod);
        else if (output.kind === 'fatal') finish(output.error);
        else if (output.kind === 'follow-log') void followSetupLog(client, output.pod, signal, (step) => feed({ type: 'setup-step', step }));
        else refreshVolume();
      }
    }

    void (async () => {
      // The Deployment must exist (else there is nothing to wait for); it and the claim date the events that matter.
      const [deployment, volume] = await Promise.all([
        client.find<k8s.V1Deployment>({ verb: 'get', resource: 'deployments', group: 'apps', name }, client.path('apps', 'deployments', deploymentName(name)), { signal }),
        readVolume(),
      ]);
      if (!deployment) {
        throw new SparkError(`Spark "${name}" has no Deployment in namespace ${ns}: there is nothing to wait for.`, {
          hint: `See what is left of it: spark status ${name}; remove it: spark delete ${name}`,
          code: 'NOT_FOUND',
        });
      }
      feed({ type: 'start', deployment, volume });

      const selector = sparkSelector(name);
      void follow<k8s.V1Pod>({
        client,
        path: `/api/v1/namespaces/${ns}/pods`,
        operation: { verb: 'watch', resource: 'pods' },
        query: { labelSelector: selector },
        list: async () => {
          const list = await client.get<ListOf<k8s.V1Pod>>({ verb: 'list', resource: 'pods' }, client.path(undefined, 'pods'), { labelSelector: selector }, { signal });
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '0' };
        },
        onSync: (pods) => feed({ type: 'pods-listed', pods }),
        onEvent: (change, pod) => feed({ type: 'pod', change, pod }),
        onError: finish,
        signal,
      });
      // The events about the spark's own objects only (a namespace of a thousand sparks holds
      // megabytes of others'): its Deployment, its claim, the ReplicaSets (few; the reducer picks
      // the spark's by name), and each of its pods as the pod stream reveals it.
      followEvents(`involvedObject.kind=Deployment,involvedObject.name=${deploymentName(name)}`);
      followEvents(`involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${pvcName(name)}`);
      followEvents('involvedObject.kind=ReplicaSet');
    })().catch((error: unknown) => finish(mapKubeError(error, client.target, { verb: 'get', resource: 'deployments', group: 'apps', name }, { aborted: options.signal?.aborted })));
  });
}
