/** The project's fake Kubernetes API server, in this process, as the bench uses it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { startFakeCluster, type FakeCluster as Fake } from '../../test/support/fake-kube/index.js';
import type { Workspace } from './workspace.js';

export interface FakeCluster {
  mode: string;
  seedMethod: string;
  /** Store objects directly, then wait until the controller has made their pods. */
  seed(objects: Array<Record<string, unknown>>): Promise<void>;
  /** A cluster restart: every pod replaced by one that is not ready (for the next hour). */
  unreadyAllPods(): Promise<void>;
  /** Resource requests so far (discovery excluded from `total`), by `<verb> <resource>`. */
  requests?(): { total: number; byKey: Record<string, number> };
  stop(): Promise<void>;
  fake: Fake;
}

export async function startFake(ws: Workspace): Promise<FakeCluster> {
  // Pods are Running/Ready as soon as the controller sees their Deployment: "instant readiness".
  const fake = await startFakeCluster({ readyDelayMs: 0 });
  fake.writeKubeconfig(ws.kubeconfig);
  allowPlainHttp(ws.kubeconfig);
  return {
    mode: `in-process at ${fake.url}`,
    seedMethod: 'seed() straight into the store',
    fake,
    async seed(objects) {
      // In slices, so the controller's reconcile passes interleave rather than one huge pass.
      for (let i = 0; i < objects.length; i += 500) fake.seed(objects.slice(i, i + 500));
      await fake.idle();
    },
    async unreadyAllPods() {
      fake.controls.setReadyDelay(3_600_000);
      const response = await fetch(`${fake.url}/api/v1/namespaces/spark/pods?labelSelector=app%3Dspark`, { method: 'DELETE' });
      if (!response.ok) throw new Error(`deleting the pods: HTTP ${response.status}`);
      await fake.idle();
    },
    requests: () => ({ total: fake.counters.total(), byKey: fake.counters.snapshot() }),
    stop: () => fake.stop(),
  };
}

/**
 * @kubernetes/client-node refuses an http:// server unless the cluster says
 * insecure-skip-tls-verify ("HTTP protocol is not allowed when skipTLSVerify is not set"); the fake
 * serves plain HTTP on loopback. kubectl accepts the setting too, so both sides see the same file.
 * A no-op once the fake's own kubeconfig carries it.
 */
function allowPlainHttp(path: string): void {
  const config = parse(readFileSync(path, 'utf8')) as { clusters?: Array<{ cluster?: Record<string, unknown> }> };
  let changed = false;
  for (const { cluster } of config.clusters ?? []) {
    if (cluster && String(cluster.server).startsWith('http:') && cluster['insecure-skip-tls-verify'] !== true) {
      cluster['insecure-skip-tls-verify'] = true;
      changed = true;
    }
  }
  if (changed) writeFileSync(path, stringify(config), { mode: 0o600 });
}
