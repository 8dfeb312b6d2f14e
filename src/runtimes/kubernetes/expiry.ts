/**
 * A spark's expiry on the cluster: the `spark.dev/expires-at` annotation of its Deployment (set at
 * create from SparkSpec.expiresAt by manifests.ts; changed by `spark extend`). The Deployment is the
 * one object every spark has, Go-CLI ones included, and its annotations arrive with the LIST that
 * `spark list` makes anyway: reading expiries costs no extra call.
 */
import type { ExpiryCapability } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import type { KubeClient } from './client.js';
import { ANNOTATION_EXPIRES_AT, FIELD_MANAGER, deploymentName } from './labels.js';

/** The annotation's value as an ISO time; undefined when absent or not a time (a hand edit). */
export function expiryOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

export function kubernetesExpiry(client: () => KubeClient): ExpiryCapability {
  return {
    async setExpiry(name, at) {
      const c = client();
      const body = { metadata: { annotations: { [ANNOTATION_EXPIRES_AT]: at ?? null } } };
      const patched = await c.sendFound(
        { verb: 'patch', resource: 'deployments', group: 'apps', name: deploymentName(name) },
        'PATCH',
        c.path('apps', 'deployments', deploymentName(name)),
        body,
        { contentType: 'application/merge-patch+json' },
        { fieldManager: FIELD_MANAGER },
      );
      if (!patched) {
        throw new SparkError(`Spark "${name}" has no Deployment ${deploymentName(name)} in namespace ${c.namespace} (an interrupted create or delete), so it cannot carry an expiry.`, {
          hint: `See what is left of it: spark status ${name}; remove it with: spark delete ${name}`,
          code: 'INCOMPLETE',
        });
      }
    },
  };
}
