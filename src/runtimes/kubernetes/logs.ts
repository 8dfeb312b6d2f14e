/**
 * The spark's container log through the API server (pods/log): what `spark logs` shows and what the
 * activity reader (activity.ts) scans. Raw GETs (rest.ts), so a followed log streams chunk by
 * chunk and stops on a signal.
 */
import { SparkError } from '../../errors.js';
import type { LogsCapability } from '../../core/ports.js';
import type { k8s, KubeClient, ListOf } from './client.js';
import { mapKubeError, type KubeOperation } from './errors.js';
import { CONTAINER_NAME, sparkSelector } from './labels.js';
import { millis } from './readiness.js';

/** The spark's current pod: the newest not being deleted (else the newest); undefined when it has none. */
export async function currentPodOf(client: KubeClient, name: string, signal?: AbortSignal): Promise<k8s.V1Pod | undefined> {
  const pods = await client.get<ListOf<k8s.V1Pod>>({ verb: 'list', resource: 'pods' }, client.path(undefined, 'pods'), { labelSelector: sparkSelector(name) }, { signal });
  const byAge = [...pods.items].sort((a, b) => (millis(b.metadata?.creationTimestamp) ?? 0) - (millis(a.metadata?.creationTimestamp) ?? 0));
  return byAge.find((p) => !p.metadata?.deletionTimestamp) ?? byAge[0];
}

export interface LogQuery {
  follow?: boolean;
  sinceSeconds?: number;
  tailLines?: number;
  /** Stop after this many bytes (the server cuts there). */
  limitBytes?: number;
}

/**
 * GET the container log of `pod`, handing each chunk of text to `write`, until the server ends it or
 * `signal` aborts (then it resolves: an interrupted follow is a normal end).
 */
export async function readPodLog(client: KubeClient, pod: string, query: LogQuery, write: (text: string) => void, signal?: AbortSignal): Promise<void> {
  const operation: KubeOperation = { verb: 'get', resource: 'pods/log', name: pod };
  const params = {
    container: CONTAINER_NAME,
    follow: query.follow ? 'true' : undefined,
    sinceSeconds: query.sinceSeconds === undefined ? undefined : Math.max(1, Math.ceil(query.sinceSeconds)),
    tailLines: query.tailLines,
    limitBytes: query.limitBytes,
  };
  // A followed log has no deadline; a plain read has the ordinary one.
  const deadline = query.follow ? undefined : AbortSignal.timeout(client.defaultTimeoutMs);
  const combined = [signal, deadline].filter((s): s is AbortSignal => s !== undefined);
  const abort = combined.length ? AbortSignal.any(combined) : undefined;
  if (signal?.aborted) return;
  try {
    await client.rest.stream({ path: client.path(undefined, 'pods', pod, 'log'), query: params, accept: '*/*', signal: abort }, write);
  } catch (error) {
    if (signal?.aborted) return;
    throw mapKubeError(error, client.target, operation, { timedOut: deadline?.aborted === true });
  }
}

/** Why there is no log to read, or undefined when the pod has a container that started. */
function noLog(name: string, pod: k8s.V1Pod | undefined): SparkError | undefined {
  if (!pod) {
    return new SparkError(`Spark "${name}" has no pod, so it has no log now (asleep, or not started yet).`, {
      hint: `See its state with: spark status ${name}`,
      code: 'NOT_RUNNING',
    });
  }
  const status = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
  if (!status?.state?.running && !status?.state?.terminated && !status?.lastState?.terminated) {
    const waiting = status?.state?.waiting?.reason;
    return new SparkError(`The container of spark "${name}" has not started yet${waiting ? ` (${waiting})` : ''}, so it has no log.`, {
      hint: `See why with: spark status ${name}   (and its events: spark events ${name})`,
      code: 'NOT_RUNNING',
    });
  }
  return undefined;
}

export function kubernetesLogs(client: () => KubeClient): LogsCapability {
  return {
    async logs(name, options) {
      const c = client();
      const pod = await currentPodOf(c, name, options.signal);
      const why = noLog(name, pod);
      if (why) throw why;
      await readPodLog(c, pod!.metadata!.name!, { follow: options.follow, sinceSeconds: options.sinceSeconds }, options.write, options.signal);
    },
  };
}
