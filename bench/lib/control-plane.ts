/**
 * The real control plane for the bench (test/support/cluster: kube-apiserver, etcd, controller-manager,
 * scheduler, kwok's node), and sparks seeded into it over HTTP: each spark is the five objects
 * `sparkManifests` makes, POSTed as spark creates them (many at once on one keep-alive agent: 25,000
 * objects through kubectl would take minutes). The real controllers then do their part: a ReplicaSet
 * per Deployment, a provisioned volume per claim, and for the running ones a pod kwok makes Ready.
 */
import { rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { startControlPlane, type ControlPlane } from '../../test/support/cluster/index.js';
import { seedObjects } from './seed.js';

export type { ControlPlane };

/**
 * The test control plane, its controller-manager allowed more than its default 20 requests a second:
 * at that rate a ReplicaSet and a volume for 5,000 seeded sparks take over ten minutes.
 */
export function startBenchControlPlane(): Promise<ControlPlane> {
  return startControlPlane({ extraArgs: { 'kube-controller-manager': ['--kube-api-qps=500', '--kube-api-burst=1000', '--concurrent-deployment-syncs=10'] } });
}

const NAMESPACE = 'spark';
/** Seeded sparks with a running pod: each asks 250m CPU of kwok's 8-CPU node, and create needs room too. */
export const RUNNING_CAP = 20;
/**
 * Seeded sparks whose Service is the LoadBalancer spark makes. The test cluster's service range is a
 * /24 (254 cluster IPs) and node ports are 2,768: beyond this many, a seeded spark's Service is the
 * same object made headless (type ClusterIP, clusterIP None: same labels, annotations and port).
 */
export const LOAD_BALANCER_CAP = 100;
const CONCURRENCY = 16;
const RUNNING_LABEL = 'bench-running';

export interface Api {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  close(): void;
}

export function apiOf(plane: ControlPlane): Api {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: plane.caCert });
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          { host: '127.0.0.1', port: plane.port, path, method, agent, headers: { authorization: `Bearer ${plane.adminToken}`, ...(data ? { 'content-type': 'application/json' } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          },
        );
        req.on('error', reject);
        req.end(data);
      }),
    close: () => agent.destroy(),
  };
}

const COLLECTION: Record<string, string> = {
  Deployment: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
  Service: `/api/v1/namespaces/${NAMESPACE}/services`,
  PersistentVolumeClaim: `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`,
  ConfigMap: `/api/v1/namespaces/${NAMESPACE}/configmaps`,
  Secret: `/api/v1/namespaces/${NAMESPACE}/secrets`,
};

/** Sparks [from, to): the first RUNNING_CAP run a pod, the others sleep (replicas 0, as `spark sleep` leaves them). */
export async function seedSparks(api: Api, from: number, to: number, options: Parameters<typeof seedObjects>[2]): Promise<void> {
  const objects = seedObjects(from, to, options);
  let index = from;
  let services = from;
  for (const object of objects) {
    if (object.kind === 'Service' && services++ >= LOAD_BALANCER_CAP) {
      const spec = object.spec as Record<string, unknown>;
      delete spec.loadBalancerClass;
      Object.assign(spec, { type: 'ClusterIP', clusterIP: 'None' });
    }
    if (object.kind !== 'Deployment') continue;
    const running = index++ < RUNNING_CAP;
    const spec = object.spec as { replicas?: number };
    spec.replicas = running ? 1 : 0;
    const metadata = object.metadata as { labels?: Record<string, string> };
    if (running) metadata.labels = { ...metadata.labels, [RUNNING_LABEL]: 'true' };
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const object = objects[next++]!;
      const path = COLLECTION[String(object.kind)];
      if (!path) throw new Error(`seed: no collection for kind ${String(object.kind)}`);
      const answer = await api.call('POST', path, object);
      // 409: there already (a seed resumed after an interruption).
      if (answer.status !== 201 && answer.status !== 409) throw new Error(`seed: POST ${path} → HTTP ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** How many objects a collection holds, from one item and the server's remainingItemCount. */
async function count(api: Api, path: string): Promise<number> {
  const answer = await api.call('GET', `${path}?limit=1`);
  if (answer.status !== 200) throw new Error(`GET ${path} → HTTP ${answer.status}`);
  const list = JSON.parse(answer.body) as { items: unknown[]; metadata: { remainingItemCount?: number } };
  return list.items.length + (list.metadata.remainingItemCount ?? 0);
}

/**
 * Until the controllers have caught up with `sparks` seeded sparks (a ReplicaSet per Deployment, a
 * volume per claim, the running ones Ready), so no controller work lands inside a timed run.
 */
export async function settle(api: Api, sparks: number, timeoutMs = 600_000): Promise<void> {
  const running = Math.min(sparks, RUNNING_CAP);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [replicaSets, volumes, ready] = await Promise.all([
      count(api, `/apis/apps/v1/namespaces/${NAMESPACE}/replicasets`),
      count(api, '/api/v1/persistentvolumes'),
      api.call('GET', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments?labelSelector=${RUNNING_LABEL}%3Dtrue`).then((r) => (JSON.parse(r.body) as { items: Array<{ status?: { readyReplicas?: number } }> }).items.filter((d) => d.status?.readyReplicas === 1).length),
    ]);
    if (replicaSets >= sparks && volumes >= sparks && ready >= running) return;
    if (Date.now() > deadline) throw new Error(`controllers did not catch up in ${timeoutMs / 1000} s: ${replicaSets} ReplicaSets, ${volumes} volumes, ${ready}/${running} ready for ${sparks} sparks`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The hostPath provisioner's directories of this cluster's volumes (under /tmp/hostpath_pv): removed, not leaked. */
export async function removeVolumeDirectories(api: Api): Promise<number> {
  const answer = await api.call('GET', '/api/v1/persistentvolumes');
  if (answer.status !== 200) return 0;
  const paths = (JSON.parse(answer.body) as { items: Array<{ spec?: { hostPath?: { path?: string } } }> }).items.map((v) => v.spec?.hostPath?.path).filter((p): p is string => !!p && p.startsWith('/tmp/hostpath_pv/'));
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  return paths.length;
}
