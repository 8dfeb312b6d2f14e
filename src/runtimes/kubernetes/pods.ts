/**
 * What a pod or an event says, read the same way by status (runtime.ts) and by the readiness wait
 * (readiness.ts): times, the pod that matters, its restarts.
 */
import type { k8s } from './client.js';

/** Objects arrive both deserialized by the client (dates as Date) and raw from watches (strings). */
export type Time = Date | string | undefined | null;

export function millis(value: Time): number | undefined {
  if (!value) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The event's time: its last occurrence (core/v1 events carry several fields, some unset). */
export function eventTime(event: k8s.CoreV1Event): number | undefined {
  return millis(event.lastTimestamp) ?? millis(event.eventTime as Time) ?? millis(event.firstTimestamp) ?? millis(event.metadata?.creationTimestamp);
}

/** The pod that matters: the newest that is not being deleted (else the newest, on its way out). */
export function currentPod(pods: Iterable<k8s.V1Pod>): k8s.V1Pod | undefined {
  const byAge = [...pods].sort((a, b) => (millis(b.metadata?.creationTimestamp) ?? 0) - (millis(a.metadata?.creationTimestamp) ?? 0));
  return byAge.find((p) => !p.metadata?.deletionTimestamp) ?? byAge[0];
}

/** Restarts of all its containers, init containers included. */
export function restartsOf(pod: k8s.V1Pod): number {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
}
