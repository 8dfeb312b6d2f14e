/**
 * What a pod or an event means for a spark waiting to be ready: ready, still waiting (and for what),
 * or a reason that will not fix itself, with its fix. Pure: read by the readiness wait and by
 * list/status (runtime.ts summarize).
 */
import { SparkError, type SparkErrorCode } from '../../errors.js';
import type { k8s } from './client.js';
import { CONTAINER_NAME, configMapName, pvcName, secretName } from './labels.js';
import { restartsOf } from './pods.js';

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
    const restarts = restartsOf(pod);
    return { kind: 'waiting', detail: `starting SSH${restarts ? ` (${restarts} restart${restarts === 1 ? '' : 's'})` : ''}` };
  }
  if (scheduled?.status !== 'True') return { kind: 'waiting', detail: 'scheduling the pod' };
  return { kind: 'waiting', detail: phase };
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
