/**
 * The adapter's pure parts: how a pod, an event or an API failure is judged and worded. The
 * behaviour against a (fake) API server is in adapter.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { mapKubeError } from '../../src/runtimes/kubernetes/errors.js';
import { eventVerdict, podVerdict } from '../../src/runtimes/kubernetes/readiness.js';
import { summarize } from '../../src/runtimes/kubernetes/read.js';
import { decodeCliConfig } from '../../src/runtimes/kubernetes/cli-config-secret.js';

const ctx = { sparkName: 'brave-dolphin', namespace: 'spark' };
const target = { context: 'homelab', server: 'https://10.0.0.1:6443', namespace: 'spark' };

function pod(status: NonNullable<V1Pod['status']>, image = 'ghcr.io/me/spark:1'): V1Pod {
  return {
    metadata: { name: 'brave-dolphin-6d4cf56db6-x7k2p', uid: 'u1', labels: { app: 'spark', 'spark-name': 'brave-dolphin' } },
    spec: { containers: [{ name: 'spark', image }] },
    status,
  };
}

test('a pod stuck in ImagePullBackOff is fatal, naming the image, the reason and SPARK_IMAGE', () => {
  const v = podVerdict(pod({ phase: 'Pending', containerStatuses: [{ name: 'spark', image: 'ghcr.io/me/spark:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] }), ctx);
  assert.equal(v.kind, 'fatal');
  assert.ok(v.kind === 'fatal');
  assert.match(v.error.message, /ghcr\.io\/me\/spark:1/);
  assert.match(v.error.message, /ImagePullBackOff/);
  assert.match(v.error.hint ?? '', /SPARK_IMAGE/);
  assert.equal(v.error.code, 'READY_IMAGE_PULL');
});

test('ContainerCreating and ErrImagePull are progress, not failures', () => {
  const creating = podVerdict(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'spark', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }), ctx);
  assert.deepEqual(creating, { kind: 'waiting', detail: 'ContainerCreating' });
  const pull = podVerdict(pod({ phase: 'Pending', containerStatuses: [{ name: 'spark', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }), ctx);
  assert.equal(pull.kind, 'waiting');
});

test('CrashLoopBackOff is fatal with the exit code and the logs command', () => {
  const v = podVerdict(
    pod({ phase: 'Running', containerStatuses: [{ name: 'spark', image: 'x', imageID: '', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 127 } } }] }),
    ctx,
  );
  assert.ok(v.kind === 'fatal');
  assert.match(v.error.message, /code 127/);
  assert.match(v.error.hint ?? '', /kubectl -n spark logs brave-dolphin-6d4cf56db6-x7k2p --previous/);
});

test('Unschedulable is fatal when the volume is bound, progress while it is not', () => {
  const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] });
  const v = podVerdict(unschedulable, ctx);
  assert.ok(v.kind === 'fatal');
  assert.match(v.error.message, /Insufficient cpu/);
  assert.match(v.error.hint ?? '', /kubectl -n spark describe pod/);
  assert.equal(podVerdict(unschedulable, { ...ctx, volumePending: true }).kind, 'waiting');
});

test('ProvisioningFailed is fatal with the storage class fix; other warnings are not', () => {
  const v = eventVerdict({ metadata: {}, involvedObject: { kind: 'PersistentVolumeClaim', name: 'brave-dolphin-storage' }, type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass "fast" not found' }, ctx);
  assert.ok(v?.kind === 'fatal');
  assert.match(v.error.message, /storageclass "fast" not found/);
  assert.match(v.error.hint ?? '', /SPARK_STORAGE_CLASS/);
  assert.equal(eventVerdict({ metadata: {}, involvedObject: { kind: 'Pod' }, type: 'Warning', reason: 'FailedMount', message: 'timed out' }, ctx), undefined);
});

function apiException(code: number, status: object): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(status), headers: {} });
}

test('403 names the verb and the resource, and the RBAC fix', () => {
  const error = mapKubeError(
    apiException(403, { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'deployments.apps is forbidden: User "me" cannot patch resource', details: { name: 'x', group: 'apps', kind: 'deployments' } }),
    target,
    { verb: 'patch', resource: 'deployments', group: 'apps', name: 'x' },
  );
  assert.equal(error.code, 'KUBE_FORBIDDEN');
  assert.match(error.message, /patch deployments\.apps/);
  assert.match(error.hint ?? '', /deploy\/rbac\.yaml/);
  assert.match(error.hint ?? '', /kubectl auth can-i patch deployments\.apps -n spark/);
});

test('401, a missing namespace, 409 and connection failures each get their own message and fix', () => {
  const op = { verb: 'create', resource: 'configmaps', name: 'x-config' } as const;
  assert.equal(mapKubeError(apiException(401, { code: 401, reason: 'Unauthorized' }), target, op).code, 'KUBE_UNAUTHORIZED');
  const ns = mapKubeError(apiException(404, { code: 404, reason: 'NotFound', details: { name: 'spark', kind: 'namespaces' } }), target, op);
  assert.equal(ns.code, 'NAMESPACE_MISSING');
  assert.match(ns.hint ?? '', /deploy\/namespace\.yaml/);
  assert.equal(mapKubeError(apiException(404, { code: 404, reason: 'NotFound', details: { name: 'x-config', kind: 'configmaps' } }), target, op).code, 'KUBE_NOT_FOUND');
  assert.equal(mapKubeError(apiException(409, { code: 409, reason: 'AlreadyExists' }), target, op).code, 'KUBE_ALREADY_EXISTS');
  assert.equal(mapKubeError(apiException(409, { code: 409, reason: 'Conflict' }), target, op).code, 'KUBE_CONFLICT');
  const refused = mapKubeError(Object.assign(new Error('request to https://10.0.0.1:6443 failed'), { type: 'system', code: 'ECONNREFUSED' }), target, op);
  assert.equal(refused.code, 'KUBE_UNREACHABLE');
  assert.match(refused.message, /context homelab \(https:\/\/10\.0\.0\.1:6443\): connection refused/);
  assert.match(refused.hint ?? '', /kubectl --context homelab cluster-info/);
  assert.equal(mapKubeError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), target, op).code, 'KUBE_TLS');
});

test('a Go-CLI spark (labels only) is listed as legacy; a lone ConfigMap is Incomplete; replicas 0 is Sleeping (since when spark put it to sleep)', () => {
  const labels = { app: 'spark', 'spark-name': 'old-owl' };
  const legacy = summarize({ name: 'old-owl', deployment: { metadata: { name: 'old-owl', labels }, spec: { replicas: 1 } }, pods: [] }, 'spark');
  assert.equal(legacy.legacy, true);
  assert.equal(legacy.state, 'Starting');
  const managed = { ...labels, 'app.kubernetes.io/managed-by': 'spark' };
  const lone = summarize({ name: 'old-owl', configMap: { metadata: { name: 'old-owl-config', labels: managed } }, pods: [] }, 'spark');
  assert.equal(lone.state, 'Incomplete');
  assert.match(lone.reason ?? '', /Deployment/);
  const stopped = summarize(
    {
      name: 'old-owl',
      deployment: { metadata: { name: 'old-owl', labels: managed }, spec: { replicas: 0 } },
      service: { metadata: { name: 'old-owl-ssh', labels: managed }, status: { loadBalancer: { ingress: [{ hostname: 'spark-old-owl.tail1234.ts.net' }] } } },
      pvc: { metadata: { name: 'old-owl-storage', labels: managed } },
      configMap: { metadata: { name: 'old-owl-config', labels: managed } },
      pods: [],
    },
    'spark',
  );
  assert.equal(stopped.state, 'Sleeping');
  assert.equal(stopped.sleepingSince, undefined, 'scaled to 0 by hand: since when is unknown');
  const slept = summarize({ name: 'old-owl', deployment: { metadata: { name: 'old-owl', labels, annotations: { 'spark.dev/sleeping-since': '2026-12-07T10:00:00Z' } }, spec: { replicas: 0 } }, pods: [] }, 'spark');
  assert.equal(slept.state, 'Sleeping');
  assert.equal(slept.sleepingSince, '2026-12-07T10:00:00.000Z');
  assert.equal(stopped.host, 'spark-old-owl.tail1234.ts.net');
  assert.equal(stopped.ssh, 'ssh user@spark-old-owl');
});

test('the spark-cli-config Secret yields only known keys, decoded; never the cluster-choosing ones', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  assert.deepEqual(decodeCliConfig({ POSTGRES_PASSWORD: b64('p@ss:w/rd'), ANTHROPIC_API_KEY: b64('sk-ant-x\n'), SOMETHING: b64('x'), SPARK_NAMESPACE: b64('other') }), {
    POSTGRES_PASSWORD: 'p@ss:w/rd',
    ANTHROPIC_API_KEY: 'sk-ant-x',
  });
});
