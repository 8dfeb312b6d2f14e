/**
 * The fake cluster's controller: Deployments become ReplicaSets and Pods that turn Ready (or fail
 * the way tests ask), claims bind, the Tailscale operator writes hostnames and holds finalizers,
 * and 1,000 seeded sparks cost one request per list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goSparkObjects, startFakeCluster, TAILSCALE_FINALIZER, type FakeCluster, type KubeObject } from '../support/fake-kube/index.js';
import { http, WatchReader } from '../support/fake-kube/testing.js';

const NS = '/api/v1/namespaces/spark';
const APPS = '/apis/apps/v1/namespaces/spark';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const status = (o: KubeObject | undefined): Any => (o?.status ?? {}) as Any;
const podsOf = (cluster: FakeCluster, name: string): KubeObject[] => cluster.list('pods', 'spark').filter((p) => p.metadata.labels?.['spark-name'] === name);
const readyPod = (cluster: FakeCluster, name: string): KubeObject | undefined =>
  podsOf(cluster, name).find((p) => (status(p).conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True'));
const waiting = (p: KubeObject | undefined): Any => status(p).containerStatuses?.[0]?.state?.waiting;

async function createSpark(cluster: FakeCluster, name: string, image = 'debian:bookworm'): Promise<void> {
  for (const o of goSparkObjects(name, { image, withConfig: true })) {
    const kind = o.kind as string;
    const path = kind === 'Deployment' ? `${APPS}/deployments` : `${NS}/${kind === 'PersistentVolumeClaim' ? 'persistentvolumeclaims' : `${kind.toLowerCase()}s`}`;
    const r = await http(cluster.url, 'POST', path, o);
    assert.equal(r.status, 201, r.text);
  }
}

describe('deployments become pods', () => {
  let cluster: FakeCluster;
  before(async () => {
    cluster = await startFakeCluster();
  });
  after(async () => {
    await cluster.stop();
  });

  test('a Deployment gets a ReplicaSet and a Pod that becomes Running and Ready; status follows', async () => {
    await createSpark(cluster, 'brave-dolphin');
    const pod = await cluster.waitFor(() => readyPod(cluster, 'brave-dolphin'), { description: 'a ready pod' });
    assert.match(pod.metadata.name ?? '', /^brave-dolphin-[a-z0-9]{10}-[a-z0-9]{5}$/);
    assert.equal(status(pod).phase, 'Running');
    assert.deepEqual(pod.metadata.labels, { app: 'spark', 'spark-name': 'brave-dolphin', 'pod-template-hash': pod.metadata.name?.split('-')[2] });
    const rs = cluster.get('replicasets', 'spark', pod.metadata.ownerReferences?.[0]?.name ?? '');
    assert.equal(pod.metadata.ownerReferences?.[0]?.kind, 'ReplicaSet');
    assert.equal(rs?.metadata.ownerReferences?.[0]?.name, 'brave-dolphin');
    assert.equal(status(pod).containerStatuses[0].ready, true);
    assert.ok(status(pod).podIP);
    const dep = await cluster.waitFor(() => {
      const d = cluster.get('deployments', 'spark', 'brave-dolphin');
      return status(d).availableReplicas === 1 ? d : undefined;
    });
    const s = status(dep);
    assert.deepEqual(
      [s.observedGeneration, s.replicas, s.readyReplicas, s.availableReplicas, s.updatedReplicas],
      [dep.metadata.generation, 1, 1, 1, 1],
    );
    assert.deepEqual(
      s.conditions.map((c: Any) => [c.type, c.status, c.reason]),
      [
        ['Available', 'True', 'MinimumReplicasAvailable'],
        ['Progressing', 'True', 'NewReplicaSetAvailable'],
      ],
    );
  });

  test('scaling to 0 removes the pod (and drops zero counts from status); scaling back brings one', async () => {
    await createSpark(cluster, 'sleepy-sloth');
    await cluster.waitFor(() => readyPod(cluster, 'sleepy-sloth'));
    await http(cluster.url, 'PATCH', `${APPS}/deployments/sleepy-sloth/scale`, JSON.stringify({ spec: { replicas: 0 } }), { 'Content-Type': 'application/merge-patch+json' });
    await cluster.waitFor(() => podsOf(cluster, 'sleepy-sloth').length === 0, { description: 'no pods' });
    const dep = await cluster.waitFor(() => {
      const d = cluster.get('deployments', 'spark', 'sleepy-sloth');
      return status(d).replicas === undefined && status(d).observedGeneration === d?.metadata.generation ? d : undefined;
    });
    assert.equal(status(dep).readyReplicas, undefined);
    await http(cluster.url, 'PATCH', `${APPS}/deployments/sleepy-sloth`, JSON.stringify({ spec: { replicas: 1 } }), { 'Content-Type': 'application/merge-patch+json' });
    await cluster.waitFor(() => readyPod(cluster, 'sleepy-sloth'), { description: 'a ready pod again' });
  });

  test('deleting a deployment deletes its ReplicaSet and pods; deleting a pod brings a new one', async () => {
    await createSpark(cluster, 'gone-gecko');
    const first = await cluster.waitFor(() => readyPod(cluster, 'gone-gecko'));
    await http(cluster.url, 'DELETE', `${NS}/pods/${first.metadata.name ?? ''}`);
    const second = await cluster.waitFor(() => readyPod(cluster, 'gone-gecko'));
    assert.notEqual(second.metadata.name, first.metadata.name);
    const r = await http(cluster.url, 'DELETE', `${APPS}/deployments/gone-gecko`);
    assert.equal(r.status, 200);
    assert.equal(podsOf(cluster, 'gone-gecko').length, 0);
    assert.equal(cluster.list('replicasets', 'spark').filter((rs) => rs.metadata.name?.startsWith('gone-gecko-')).length, 0);
  });

  test('a template change rolls out a new ReplicaSet and pod', async () => {
    await createSpark(cluster, 'new-newt');
    const first = await cluster.waitFor(() => readyPod(cluster, 'new-newt'));
    await http(cluster.url, 'PATCH', `${APPS}/deployments/new-newt`, JSON.stringify({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } } }), {
      'Content-Type': 'application/strategic-merge-patch+json',
    });
    const second = await cluster.waitFor(() => {
      const p = readyPod(cluster, 'new-newt');
      return p && p.metadata.name !== first.metadata.name && podsOf(cluster, 'new-newt').length === 1 ? p : undefined;
    });
    assert.notEqual(second.metadata.labels?.['pod-template-hash'], first.metadata.labels?.['pod-template-hash']);
  });
});

describe('failures on demand', () => {
  let cluster: FakeCluster;
  before(async () => {
    cluster = await startFakeCluster({ crashIntervalMs: 20 });
  });
  after(async () => {
    await cluster.stop();
  });
  const warning = (pod: KubeObject, reason: string, message = /./) =>
    cluster.list('events', 'spark').find((e: Any) => e.involvedObject.uid === pod.metadata.uid && e.type === 'Warning' && e.reason === reason && message.test(e.message)) as Any;

  test('ImagePullBackOff: the container waits with the reason and a message naming the image; a Warning event says why', async () => {
    cluster.controls.failPods('pull-puffin', 'ImagePullBackOff');
    await createSpark(cluster, 'pull-puffin', 'ghcr.io/nope/missing:1.0');
    const pod = await cluster.waitFor(() => podsOf(cluster, 'pull-puffin').find((p) => waiting(p)?.reason === 'ImagePullBackOff'));
    assert.equal(status(pod).phase, 'Pending');
    assert.match(waiting(pod).message, /ghcr\.io\/nope\/missing:1\.0/);
    const event = await cluster.waitFor(() => warning(pod, 'Failed', /^Failed to pull image/));
    assert.match(event.message, /Failed to pull image "ghcr\.io\/nope\/missing:1\.0"/);
    cluster.controls.failPods('pull-puffin', null);
    await cluster.waitFor(() => readyPod(cluster, 'pull-puffin'), { description: 'healed' });
  });

  test('ErrImagePull and CreateContainerConfigError', async () => {
    cluster.controls.failPods('err-emu', 'ErrImagePull');
    cluster.controls.failPods('cfg-cat', 'CreateContainerConfigError');
    await createSpark(cluster, 'err-emu', 'nope:latest');
    await createSpark(cluster, 'cfg-cat');
    const pull = await cluster.waitFor(() => podsOf(cluster, 'err-emu').find((p) => waiting(p)?.reason === 'ErrImagePull'));
    assert.match(waiting(pull).message, /"nope:latest"/);
    const cfg = await cluster.waitFor(() => podsOf(cluster, 'cfg-cat').find((p) => waiting(p)?.reason === 'CreateContainerConfigError'));
    assert.equal(waiting(cfg).message, 'secret "cfg-cat-secret" not found');
  });

  test('CrashLoopBackOff: restartCount keeps increasing', async () => {
    cluster.controls.failPods('crashy-crab', 'CrashLoopBackOff');
    await createSpark(cluster, 'crashy-crab');
    const pod = await cluster.waitFor(() => podsOf(cluster, 'crashy-crab').find((p) => status(p).containerStatuses?.[0]?.restartCount >= 3), { description: 'three restarts' });
    assert.equal(waiting(pod).reason, 'CrashLoopBackOff');
    assert.equal(status(pod).containerStatuses[0].lastState.terminated.exitCode, 1);
    assert.ok(warning(pod, 'BackOff'));
    cluster.controls.failPods('crashy-crab', null);
  });

  test('Unschedulable: PodScheduled=False and a FailedScheduling Warning about the pod', async () => {
    cluster.controls.failPods('stuck-stork', 'Unschedulable');
    await createSpark(cluster, 'stuck-stork');
    const pod = await cluster.waitFor(() => podsOf(cluster, 'stuck-stork').find((p) => (status(p).conditions ?? []).some((c: Any) => c.type === 'PodScheduled' && c.status === 'False')));
    const cond = status(pod).conditions.find((c: Any) => c.type === 'PodScheduled');
    assert.equal(cond.reason, 'Unschedulable');
    const event = await cluster.waitFor(() => warning(pod, 'FailedScheduling'));
    assert.equal(event.involvedObject.kind, 'Pod');
    assert.equal(event.involvedObject.name, pod.metadata.name);
    assert.equal(pod.spec?.['nodeName' as never], undefined);
  });

  test('an unbound claim keeps the pod unscheduled until it binds; ProvisioningFailed is a Warning on the claim', async () => {
    cluster.controls.setPvcBinding('ProvisioningFailed');
    await createSpark(cluster, 'unbound-urchin');
    const pvc = cluster.get('persistentvolumeclaims', 'spark', 'unbound-urchin-storage') as KubeObject;
    const event = await cluster.waitFor(() => cluster.list('events', 'spark').find((e: Any) => e.involvedObject.uid === pvc.metadata.uid && e.reason === 'ProvisioningFailed'));
    assert.equal((event as Any).type, 'Warning');
    const pod = await cluster.waitFor(() => podsOf(cluster, 'unbound-urchin').find((p) => (status(p).conditions ?? []).some((c: Any) => c.reason === 'Unschedulable')));
    assert.match(status(pod).conditions[0].message, /unbound immediate PersistentVolumeClaims/);
    cluster.controls.setPvcBinding('Bound');
    await cluster.waitFor(() => readyPod(cluster, 'unbound-urchin'), { description: 'ready once bound' });
    assert.equal(status(cluster.get('persistentvolumeclaims', 'spark', 'unbound-urchin-storage')).phase, 'Bound');
  });

  test('readyDelayMs: Pending with ContainerCreating first, then Ready (seen on a watch)', async () => {
    const slow = await startFakeCluster({ readyDelayMs: 150 });
    try {
      const w = new WatchReader(slow.url, `${NS}/pods?watch=true&labelSelector=spark-name%3Dslow-snail`);
      try {
        await createSpark(slow, 'slow-snail');
        const pending = await w.next((e) => e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
        assert.equal(pending.object.status.phase, 'Pending');
        const ready = await w.next((e) => e.object.status?.phase === 'Running');
        assert.equal(ready.type, 'MODIFIED');
        assert.ok(ready.object.status.conditions.some((c: Any) => c.type === 'Ready' && c.status === 'True'));
      } finally {
        w.close();
      }
    } finally {
      await slow.stop();
    }
  });
});

describe('the Tailscale operator', () => {
  let cluster: FakeCluster;
  before(async () => {
    cluster = await startFakeCluster();
  });
  after(async () => {
    await cluster.stop();
  });

  test('a tailscale LoadBalancer Service gets <hostname annotation>.tail1234.ts.net; other Services do not', async () => {
    await createSpark(cluster, 'host-heron');
    const svc = await cluster.waitFor(() => {
      const s = cluster.get('services', 'spark', 'host-heron-ssh');
      return status(s).loadBalancer?.ingress ? s : undefined;
    });
    assert.equal(status(svc).loadBalancer.ingress[0].hostname, 'spark-host-heron.tail1234.ts.net');
    await http(cluster.url, 'POST', `${NS}/services`, { metadata: { name: 'plain-lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 22 }] } });
    await cluster.idle();
    assert.deepEqual(status(cluster.get('services', 'spark', 'plain-lb')).loadBalancer, {});
  });

  test('with the operator off, no hostname appears', async () => {
    cluster.controls.setTailscaleHostnames(false);
    try {
      await createSpark(cluster, 'dark-dove');
      await cluster.idle();
      assert.deepEqual(status(cluster.get('services', 'spark', 'dark-dove-ssh')).loadBalancer, {});
    } finally {
      cluster.controls.setTailscaleHostnames(true);
    }
    await cluster.waitFor(() => status(cluster.get('services', 'spark', 'dark-dove-ssh')).loadBalancer?.ingress);
  });

  test('the finalizer: removed after a delay, or never (stuck) until the operator comes back', async () => {
    cluster.controls.setTailscaleFinalizer({ enabled: true, removeAfterMs: 30 });
    await createSpark(cluster, 'fin-finch');
    await cluster.waitFor(() => cluster.get('services', 'spark', 'fin-finch-ssh')?.metadata.finalizers?.includes(TAILSCALE_FINALIZER));
    const del = await http(cluster.url, 'DELETE', `${NS}/services/fin-finch-ssh`);
    assert.equal(del.status, 202);
    assert.ok(del.body.metadata.deletionTimestamp);
    await cluster.waitFor(() => cluster.get('services', 'spark', 'fin-finch-ssh') === undefined, { description: 'the service to go' });

    cluster.controls.setTailscaleFinalizer({ removeAfterMs: null });
    await createSpark(cluster, 'stuck-swan');
    await cluster.waitFor(() => cluster.get('services', 'spark', 'stuck-swan-ssh')?.metadata.finalizers?.includes(TAILSCALE_FINALIZER));
    await http(cluster.url, 'DELETE', `${NS}/services/stuck-swan-ssh`);
    await cluster.idle();
    assert.ok(cluster.get('services', 'spark', 'stuck-swan-ssh')?.metadata.deletionTimestamp, 'stuck while the operator does not act');
    cluster.controls.setTailscaleFinalizer({ enabled: false, removeAfterMs: 0 });
    await cluster.waitFor(() => cluster.get('services', 'spark', 'stuck-swan-ssh') === undefined, { description: 'released' });
  });
});

describe('seeding many sparks', () => {
  test('1,000 seeded sparks are all running, and listing them is one request per kind', async () => {
    const cluster = await startFakeCluster();
    try {
      const objects = [];
      for (let i = 0; i < 1000; i++) objects.push(...goSparkObjects(`many-${i}`, { withConfig: true }));
      cluster.seed(objects);
      await cluster.idle();
      assert.equal(cluster.list('pods', 'spark').filter((p) => status(p).phase === 'Running').length, 1000);
      cluster.counters.reset();
      for (const path of [`${APPS}/deployments`, `${NS}/pods`, `${NS}/services`]) {
        const r = await http(cluster.url, 'GET', `${path}?labelSelector=app%3Dspark`);
        assert.equal(r.body.items.length, 1000);
      }
      assert.deepEqual(cluster.counters.snapshot(), { 'list deployments': 1, 'list pods': 1, 'list services': 1 });
    } finally {
      await cluster.stop();
    }
  });
});
