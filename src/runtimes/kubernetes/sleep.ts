/**
 * Sleep and wake on Kubernetes: the Deployment is scaled to 0 and back to 1. Nothing else is
 * touched — the home volume, the Secret, the ConfigMap, the Service and the database stay — so a
 * woken spark is the same spark. Go-CLI sparks (labels only) sleep the same way: only the
 * Deployment's name matters.
 *
 * Two annotations on the Deployment carry what a sleeper cannot say itself:
 * - `spark.dev/sleeping-since`: when it was put to sleep (list/status show it; absent on a
 *   Deployment someone scaled to 0 by hand).
 * - `spark.dev/last-activity`: the spark's last activity report (activity.ts) taken just before it
 *   went to sleep, so `spark reap` still knows whether a sleeper has unsaved git work. Without it a
 *   sleeper's activity is unknown, never "nothing to lose".
 * A third, `spark.dev/woken-at`, says when spark last woke it: a wake is a use, so `reap` counts its
 * idle time from then too (else a spark woken but not yet logged into would be put back to sleep).
 */
import type { ActivityCapability, RuntimeCapabilities, SleepCapability, SparkActivity } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import { ACTIVITY_PREFIX, parseActivityLine } from './activity.js';
import type { k8s, KubeClient } from './client.js';
import type { KubeOperation } from './errors.js';
import { deploymentName } from './labels.js';

export const ANNOTATION_SLEEPING_SINCE = 'spark.dev/sleeping-since';
export const ANNOTATION_LAST_ACTIVITY = 'spark.dev/last-activity';
export const ANNOTATION_WOKEN_AT = 'spark.dev/woken-at';

const MERGE_PATCH = 'application/merge-patch+json';
const op = (verb: KubeOperation['verb'], name: string): KubeOperation => ({ verb, resource: 'deployments', group: 'apps', name });

/** The stored report of a sleeping Deployment, checked like a log line; undefined when absent or malformed. */
export function storedActivity(annotations: Record<string, string> | undefined): SparkActivity | undefined {
  const text = annotations?.[ANNOTATION_LAST_ACTIVITY];
  return text ? parseActivityLine(ACTIVITY_PREFIX + text) : undefined;
}

/** An ISO time annotation of the Deployment, if it holds a valid one. */
function timeAnnotation(annotations: Record<string, string> | undefined, key: string): string | undefined {
  const value = annotations?.[key];
  return value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}

/** ISO time the Deployment was put to sleep by spark, if it says so. */
export const sleepingSince = (annotations: Record<string, string> | undefined): string | undefined => timeAnnotation(annotations, ANNOTATION_SLEEPING_SINCE);

/** ISO time spark last woke it, if it did. */
export const wokenAt = (annotations: Record<string, string> | undefined): string | undefined => timeAnnotation(annotations, ANNOTATION_WOKEN_AT);

async function readDeployment(c: KubeClient, name: string): Promise<k8s.V1Deployment> {
  const d = await c.find<k8s.V1Deployment>(op('get', deploymentName(name)), c.path('apps', 'deployments', deploymentName(name)));
  if (!d) {
    throw new SparkError(`Spark "${name}" has no Deployment in namespace ${c.namespace}, so there is nothing to put to sleep or wake.`, {
      hint: `See what is left of it: spark status ${name}; remove it: spark delete ${name}`,
      code: 'NOT_FOUND',
    });
  }
  return d;
}

/**
 * One merge patch carries the replicas and the annotations together, and the resourceVersion read
 * before: a concurrent change (another sleep or wake) makes it fail with a conflict instead of
 * mixing the two; the caller reads again and decides again.
 */
async function patchDeployment(c: KubeClient, d: k8s.V1Deployment, replicas: number, annotations: Record<string, string | null>): Promise<void> {
  const name = d.metadata?.name ?? '';
  const body = { metadata: { resourceVersion: d.metadata?.resourceVersion, annotations }, spec: { replicas } };
  await c.send(op('patch', name), 'PATCH', c.path('apps', 'deployments', name), body, { contentType: MERGE_PATCH });
}

/** Run `attempt` again after a conflict (someone changed the Deployment between our read and write). */
async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SparkError && error.code === 'KUBE_CONFLICT') || tries >= 5) throw error;
    }
  }
}

export function kubernetesSleep(client: () => KubeClient, activity: ActivityCapability | undefined): SleepCapability {
  return {
    sleep: (name) =>
      retryOnConflict(async () => {
        const c = client();
        const d = await readDeployment(c, name);
        if (d.spec?.replicas === 0) return false;
        // Best effort: a spark that cannot report (not running, log not readable) sleeps without a report.
        const report = await activity?.activity(name).catch(() => undefined);
        await patchDeployment(c, d, 0, {
          [ANNOTATION_SLEEPING_SINCE]: new Date().toISOString(),
          [ANNOTATION_LAST_ACTIVITY]: report ? JSON.stringify(report) : null,
          [ANNOTATION_WOKEN_AT]: null,
        });
        return true;
      }),
    wake: (name) =>
      retryOnConflict(async () => {
        const c = client();
        const d = await readDeployment(c, name);
        if (d.spec?.replicas !== 0) return false;
        // Awake, the spark reports for itself again (its log): the stored report would only go stale.
        await patchDeployment(c, d, 1, { [ANNOTATION_SLEEPING_SINCE]: null, [ANNOTATION_LAST_ACTIVITY]: null, [ANNOTATION_WOKEN_AT]: new Date().toISOString() });
        return true;
      }),
  };
}

/**
 * Add sleep to the runtime's capabilities, and make activity answer for sleepers with the report
 * stored when they went to sleep (one GET of the Deployment, only when the pod could not answer).
 */
export function withSleep(capabilities: RuntimeCapabilities, client: () => KubeClient): RuntimeCapabilities {
  const live = capabilities.activity;
  const activity: ActivityCapability = {
    async activity(name) {
      const report = await live?.activity(name);
      if (report) return report;
      const c = client();
      const d = await c.find<k8s.V1Deployment>(op('get', deploymentName(name)), c.path('apps', 'deployments', deploymentName(name)));
      return d?.spec?.replicas === 0 ? storedActivity(d.metadata?.annotations) : undefined;
    },
  };
  return { ...capabilities, activity, sleep: kubernetesSleep(client, live) };
}
