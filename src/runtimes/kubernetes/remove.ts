/**
 * Deleting a spark from the cluster: every object by name and by label, then a bounded wait for
 * them to be gone, with the fix for anything a finalizer keeps.
 */
import type { DeleteReport } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import type { KubeClient } from './client.js';
import { sparkSelector } from './labels.js';
import { collectionPath, DELETE_ORDER, KINDS, kindOps, op, type KindOps, type Meta } from './objects.js';
import { follow } from './readiness.js';


/**
 * Remove every object of the spark, found by name and by label (so partial leftovers and Go-CLI
 * sparks go too); a missing object is success. Waits, bounded, for the objects to be gone; what
 * is still there afterwards (a finalizer nobody removes) is reported in `left` with its fix.
 */
export async function deleteSpark(c: KubeClient, name: string, waitMs: number): Promise<DeleteReport> {
  const report: DeleteReport = { removed: [], left: [] };
  const deadline = AbortSignal.timeout(waitMs);
  const found = await Promise.all(
    DELETE_ORDER.map(async (kindName) => {
      const k = KINDS[kindName];
      const labelled = await kindOps.list(c, k, { labelSelector: sparkSelector(name) });
      const listed = labelled.items.map((o) => o.metadata?.name).filter((n): n is string => Boolean(n));
      return { k, listed, names: [...new Set([k.nameFor(name), ...listed])] };
    }),
  );
  const attempts = found.flatMap(({ k, listed, names }) => names.map((n) => ({ k, name: n, listed: listed.includes(n) })));
  // One object that cannot be deleted (a 403 on one kind) must not keep the others.
  const results = await Promise.all(
    attempts.map(async ({ k, name: n }): Promise<'deleted' | 'absent' | SparkError> => {
      try {
        await kindOps.remove(c, k, n);
        return 'deleted';
      } catch (error) {
        if (error instanceof SparkError && error.code === 'KUBE_NOT_FOUND') return 'absent';
        if (error instanceof SparkError && error.code !== 'INTERRUPTED') return error;
        throw error;
      }
    }),
  );
  attempts.forEach(({ k, name: n }, i) => {
    const r = results[i];
    if (r instanceof SparkError) report.left.push(`${k.kind} ${n}: ${r.message}${r.hint ? ` (${r.hint.split('\n')[0]})` : ''}`);
  });
  // Listed, then already gone at its DELETE: the garbage collector took it with its owner (the ConfigMap) first.
  attempts.forEach(({ k, name: n, listed }, i) => {
    if (listed && results[i] === 'absent') report.removed.push(`${k.kind} ${n}`);
  });
  const deleted = attempts.filter((_, i) => results[i] === 'deleted');
  const outcomes = await Promise.all(deleted.map(({ k, name: n }) => waitGone(c, k, n, deadline)));
  deleted.forEach(({ k, name: n }, i) => {
    const still = outcomes[i];
    if (!still) report.removed.push(`${k.kind} ${n}`);
    else report.left.push(describeStuck(c.namespace, k, n, still));
  });
  return report;
}

/** Resolve undefined once the object is gone, or with the object still there at the deadline. */
export async function waitGone(c: KubeClient, k: KindOps, name: string, deadline: AbortSignal): Promise<Meta | undefined> {
  const stop = new AbortController();
  const signal = AbortSignal.any([deadline, stop.signal]);
  let last: Meta | undefined;
  let failure: SparkError | undefined;
  const fieldSelector = `metadata.name=${name}`;
  const gone = new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    void follow<Meta>({
      client: c,
      path: collectionPath(k, c.namespace),
      operation: op(k, 'watch', name),
      query: { fieldSelector },
      list: async () => {
        const l = await kindOps.list(c, k, { fieldSelector }, { signal });
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '0' };
      },
      onSync: (items) => {
        last = items[0];
        if (!last) stop.abort();
      },
      onEvent: (type, obj) => {
        last = obj;
        if (type === 'DELETED') {
          last = undefined;
          stop.abort();
        }
      },
      onError: (error) => {
        failure = error;
        stop.abort();
      },
      signal,
    });
  });
  await gone;
  if (failure && last === undefined) return { metadata: { name } };
  return last;
}

function describeStuck(namespace: string, k: KindOps, name: string, obj: Meta): string {
  const finalizers = obj.metadata?.finalizers ?? [];
  const by = finalizers.length ? ` (finalizers: ${finalizers.join(', ')})` : '';
  const kubectlKind = k.group ? `${k.resource}.${k.group}` : k.resource;
  const inspect = `kubectl -n ${namespace} get ${kubectlKind} ${name} -o yaml`;
  const unblock = `kubectl -n ${namespace} patch ${kubectlKind} ${name} --type=merge -p '{"metadata":{"finalizers":null}}'`;
  if (k.kind === 'Service' && finalizers.some((f) => f.includes('tailscale'))) {
    return `${k.kind} ${name} is still being deleted${by}: the Tailscale operator has not released it. Check it with: ${inspect} and that the operator runs (kubectl -n tailscale get pods); or remove the finalizer: ${unblock}`;
  }
  if (k.kind === 'PersistentVolumeClaim') {
    return `${k.kind} ${name} is still being deleted${by}: a pod may still use it. Check: kubectl -n ${namespace} get pods -l spark-name=${name.replace(/-storage$/, '')}; ${inspect}`;
  }
  return `${k.kind} ${name} is still being deleted${by}. Check it with: ${inspect}${finalizers.length ? `; or remove the finalizers: ${unblock}` : ''}`;
}