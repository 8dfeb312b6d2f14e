/**
 * The real kubectl against the fake API server: if kubectl's discovery, printing, apply, scale,
 * describe, delete (with its wait), watch, rollout and auth work, the fake speaks the protocol
 * faithfully enough for spark's own adapter. Every kubectl gets its own HOME and KUBECACHEDIR.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { goSparkObjects, goSparkYaml, startFakeCluster, type FakeCluster, type KubeObject } from '../support/fake-kube/index.js';
import { http, kubectl, kubectlEnv } from '../support/fake-kube/testing.js';

const NS = '/api/v1/namespaces/spark';
const APPS = '/apis/apps/v1/namespaces/spark';

let cluster: FakeCluster;
let dir: string;
let kubeconfig: string;
before(async () => {
  cluster = await startFakeCluster();
  dir = mkdtempSync(join(tmpdir(), 'fake-kube-kubectl-test-'));
  kubeconfig = cluster.writeKubeconfig(join(dir, 'kubeconfig'));
});
after(async () => {
  await cluster.stop();
});

/** kubectl with an isolated cache; fails the test with its stderr when it exits non-zero (unless allowed). */
async function k(args: string[], options: { allowFailure?: boolean; timeoutMs?: number } = {}) {
  const r = await kubectl(args, kubectlEnv(kubeconfig), { timeoutMs: options.timeoutMs });
  if (!options.allowFailure) assert.equal(r.code, 0, `kubectl ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r;
}

async function createViaApi(name: string): Promise<void> {
  for (const o of goSparkObjects(name, { withConfig: true })) {
    const plural = { Deployment: 'deployments', Service: 'services', PersistentVolumeClaim: 'persistentvolumeclaims', ConfigMap: 'configmaps', Secret: 'secrets' }[o.kind as string];
    const r = await http(cluster.url, 'POST', `${plural === 'deployments' ? APPS : NS}/${plural ?? ''}`, o);
    assert.equal(r.status, 201, r.text);
  }
}

const podsOf = (name: string): KubeObject[] => cluster.list('pods', 'spark').filter((p) => p.metadata.labels?.['spark-name'] === name);
const isReady = (p: KubeObject): boolean => ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('kubectl get', () => {
  test('get deploy,svc,pvc,cm,secret -l app=spark lists what was created through the API, with server-side columns', async () => {
    await createViaApi('brave-dolphin');
    await http(cluster.url, 'POST', `${NS}/configmaps`, { metadata: { name: 'not-a-spark', labels: { app: 'other' } } });
    await cluster.waitFor(() => podsOf('brave-dolphin').some(isReady));
    await cluster.idle();
    const r = await k(['get', 'deploy,svc,pvc,cm,secret', '-n', 'spark', '-l', 'app=spark']);
    const out = r.stdout;
    assert.match(out, /deployment\.apps\/brave-dolphin\s+1\/1\s+1\s+1\s+\d+s/);
    assert.match(out, /service\/brave-dolphin-ssh\s+LoadBalancer\s+10\.96\.\S+\s+spark-brave-dolphin\.tail1234\.ts\.net\S*\s+22:\d+\/TCP/);
    assert.match(out, /persistentvolumeclaim\/brave-dolphin-storage\s+Bound\s+pvc-\S+\s+10Gi\s+RWO\s+standard/);
    assert.match(out, /configmap\/brave-dolphin-config\s+2/);
    assert.match(out, /secret\/brave-dolphin-secret\s+Opaque\s+1/);
    assert.doesNotMatch(out, /not-a-spark/);
    assert.equal(r.stderr, '');
  });

  test('get pods shows Running, and the reason when a pod is stuck (ImagePullBackOff)', async () => {
    cluster.controls.failPods('pully-pika', 'ImagePullBackOff');
    await createViaApi('pully-pika');
    await cluster.waitFor(() => podsOf('pully-pika').find((p) => JSON.stringify(p.status).includes('ImagePullBackOff')));
    const r = await k(['get', 'pods', '-l', 'app=spark']);
    assert.match(r.stdout, /brave-dolphin-\S+\s+1\/1\s+Running\s+0/);
    assert.match(r.stdout, /pully-pika-\S+\s+0\/1\s+ImagePullBackOff\s+0/);
    const pod = podsOf('pully-pika')[0]?.metadata.name ?? '';
    const events = await k(['get', 'events', '--field-selector', `involvedObject.name=${pod},type=Warning`]);
    assert.match(events.stdout, /Warning\s+Failed\s+pod\/pully-pika-\S+\s+Failed to pull image "debian:bookworm"/);
    cluster.controls.failPods('pully-pika', null);
  });

  test('kubectl pages through a long list (--chunk-size): every object once, one request a page', async () => {
    const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    for (const name of names) await http(cluster.url, 'POST', `${NS}/configmaps`, { metadata: { name, labels: { paging: 'yes' } } });
    cluster.counters.reset();
    const r = await k(['get', 'configmaps', '-n', 'spark', '-l', 'paging=yes', '--chunk-size=2', '-o', 'name']);
    assert.deepEqual(r.stdout.trim().split('\n'), names.map((n) => `configmap/${n}`));
    assert.equal(cluster.counters.snapshot()['list configmaps'], 3);
    const bad = await http(cluster.url, 'GET', `${NS}/configmaps?limit=1&continue=not-a-token`);
    assert.equal(bad.status, 400);
  });

  test('get -o json and -o jsonpath see every field', async () => {
    const r = await k(['get', 'deploy', '-l', 'app=spark', '-o', 'json']);
    const list = JSON.parse(r.stdout) as { kind: string; items: KubeObject[] };
    assert.equal(list.kind, 'List');
    assert.ok(list.items.some((d) => d.metadata.name === 'brave-dolphin' && d.kind === 'Deployment'));
    const host = await k(['get', 'svc', 'brave-dolphin-ssh', '-o', 'jsonpath={.status.loadBalancer.ingress[0].hostname}']);
    assert.equal(host.stdout, 'spark-brave-dolphin.tail1234.ts.net');
  });

  test('a missing object is kubectl\'s NotFound error', async () => {
    const r = await k(['get', 'deploy', 'no-such-spark'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(NotFound\): deployments\.apps "no-such-spark" not found/);
  });
});

describe('a Go-CLI spark through kubectl apply, scale, describe, delete', () => {
  let yamlFile: string;
  before(() => {
    yamlFile = join(dir, 'old-otter.yaml');
    writeFileSync(yamlFile, goSparkYaml('old-otter'));
  });

  test('apply -f creates it; a second apply is unchanged; a changed file is configured', async () => {
    const first = await k(['apply', '-f', yamlFile]);
    assert.deepEqual(first.stdout.trim().split('\n'), [
      'deployment.apps/old-otter created',
      'service/old-otter-ssh created',
      'persistentvolumeclaim/old-otter-storage created',
    ]);
    assert.equal(first.stderr, '');
    const second = await k(['apply', '-f', yamlFile]);
    assert.deepEqual(second.stdout.trim().split('\n'), [
      'deployment.apps/old-otter unchanged',
      'service/old-otter-ssh unchanged',
      'persistentvolumeclaim/old-otter-storage unchanged',
    ]);
    const changed = join(dir, 'old-otter-changed.yaml');
    writeFileSync(changed, goSparkYaml('old-otter', { image: 'debian:trixie' }));
    const third = await k(['apply', '-f', changed]);
    assert.match(third.stdout, /deployment\.apps\/old-otter configured/);
    const dep = cluster.get('deployments', 'spark', 'old-otter') as KubeObject & { spec: { template: { spec: { containers: { image: string; env: unknown[] }[] } } } };
    assert.equal(dep.spec.template.spec.containers[0]?.image, 'debian:trixie');
    assert.equal(dep.spec.template.spec.containers[0]?.env.length, 1, 'the strategic merge patch kept the env list');
    assert.equal(dep.metadata.generation, 2);
  });

  test('the applied spark is seen by a label list (as spark lists sparks) and by kubectl -o json', async () => {
    const list = await http(cluster.url, 'GET', `${APPS}/deployments?labelSelector=${encodeURIComponent('app=spark')}`);
    assert.ok(list.body.items.some((d: KubeObject) => d.metadata.name === 'old-otter' && d.metadata.labels?.['spark-name'] === 'old-otter'));
    const r = await k(['get', 'deploy', '-l', 'app=spark', '-o', 'json']);
    assert.ok((JSON.parse(r.stdout) as { items: KubeObject[] }).items.some((d) => d.metadata.name === 'old-otter'));
  });

  test('rollout status and wait --for=condition=Available succeed once the pod is Ready', async () => {
    const rollout = await k(['rollout', 'status', 'deployment/old-otter', '--timeout=20s']);
    assert.match(rollout.stdout, /successfully rolled out/);
    const wait = await k(['wait', '--for=condition=Available', 'deployment/old-otter', '--timeout=20s']);
    assert.match(wait.stdout, /deployment\.apps\/old-otter condition met/);
  });

  test('describe deployment shows replicas, the new ReplicaSet, conditions and events', async () => {
    const r = await k(['describe', 'deployment', 'old-otter']);
    assert.match(r.stdout, /^Name:\s+old-otter$/m);
    assert.match(r.stdout, /^Replicas:\s+1 desired \| 1 updated \| 1 total \| 1 available \| 0 unavailable$/m);
    assert.match(r.stdout, /^StrategyType:\s+Recreate$/m);
    assert.match(r.stdout, /^NewReplicaSet:\s+old-otter-\S+ \(1\/1 replicas created\)$/m);
    assert.match(r.stdout, /Available\s+True\s+MinimumReplicasAvailable/);
    assert.match(r.stdout, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set old-otter-/);
  });

  test('scale --replicas=0 removes the pod', async () => {
    await cluster.waitFor(() => podsOf('old-otter').some(isReady));
    const r = await k(['scale', 'deployment', 'old-otter', '--replicas=0']);
    assert.equal(r.stdout.trim(), 'deployment.apps/old-otter scaled');
    await cluster.waitFor(() => podsOf('old-otter').length === 0, { description: 'the pod to go' });
    const pods = await k(['get', 'pods', '-l', 'spark-name=old-otter']);
    assert.equal(pods.stdout, '');
    assert.match(pods.stderr, /No resources found in spark namespace/);
  });

  test('delete deployment,svc,pvc -l spark-name=old-otter deletes them and waits through the Tailscale finalizer', async () => {
    cluster.controls.setTailscaleFinalizer({ enabled: true, removeAfterMs: 100 });
    try {
      await cluster.waitFor(() => cluster.get('services', 'spark', 'old-otter-ssh')?.metadata.finalizers?.length);
      const r = await k(['delete', 'deployment,svc,pvc', '-l', 'spark-name=old-otter']);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        'deployment.apps "old-otter" deleted',
        'service "old-otter-ssh" deleted',
        'persistentvolumeclaim "old-otter-storage" deleted',
      ]);
      // kubectl waits (a watch on each object) until they are really gone, finalizer included.
      assert.equal(cluster.get('services', 'spark', 'old-otter-ssh'), undefined);
      assert.equal(cluster.get('deployments', 'spark', 'old-otter'), undefined);
      assert.equal(cluster.list('replicasets', 'spark').filter((rs) => rs.metadata.name?.startsWith('old-otter-')).length, 0);
    } finally {
      cluster.controls.setTailscaleFinalizer({ enabled: false, removeAfterMs: 0 });
    }
  });
});

describe('kubectl watch, auth and the standalone server', () => {
  test('get pods -w receives the events of a pod created after it started watching', async () => {
    let stdout = '';
    let seen: () => void = () => {};
    const running = new Promise<void>((resolve) => (seen = resolve));
    const env = kubectlEnv(kubeconfig);
    const watching = cluster.nextRequest('watch pods');
    const stop = new AbortController();
    const child = kubectl(['get', 'pods', '-w', '-l', 'spark-name=watch-wren', '--request-timeout=20s'], env, {
      timeoutMs: 20_000,
      signal: stop.signal,
      onStdout: (text) => {
        stdout = text;
        if (/watch-wren-\S+\s+1\/1\s+Running/.test(text)) seen();
      },
    });
    await watching;
    await createViaApi('watch-wren');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      running,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`kubectl get -w printed no Running pod within 15 s:\n${stdout}`)), 15_000);
      }),
    ]).finally(() => clearTimeout(timer));
    stop.abort();
    const r = await child;
    assert.match(r.stdout, /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    assert.match(r.stdout, /watch-wren-\S+\s+0\/1\s+Pending/);
  });

  test('auth can-i: yes by default, no when denied', async () => {
    const yes = await k(['auth', 'can-i', 'create', 'deployments.apps']);
    assert.equal(yes.stdout.trim(), 'yes');
    const undo = cluster.controls.deny({ verb: 'delete', resource: 'persistentvolumeclaims' });
    try {
      const no = await k(['auth', 'can-i', 'delete', 'persistentvolumeclaims', '-n', 'spark'], { allowFailure: true });
      assert.equal(no.code, 1);
      assert.match(no.stdout, /^no\b/);
    } finally {
      undo();
    }
  });

  test('create namespace, create secret generic and create configmap (typed clients that send protobuf); delete namespace', async () => {
    await k(['create', 'namespace', 'scratch']);
    const password = 'p@ss:w/rd#%é';
    await k(['-n', 'scratch', 'create', 'secret', 'generic', 'spark-cli-config', `--from-literal=POSTGRES_PASSWORD=${password}`, '--from-literal=POSTGRES_USER=spark']);
    await k(['-n', 'scratch', 'create', 'configmap', 'plain', '--from-literal=a=b']);
    const secret = cluster.get('secrets', 'scratch', 'spark-cli-config') as KubeObject & { data: Record<string, string> };
    assert.equal(Buffer.from(secret.data.POSTGRES_PASSWORD ?? '', 'base64').toString(), password);
    assert.deepEqual((cluster.get('configmaps', 'scratch', 'plain') as KubeObject & { data: unknown }).data, { a: 'b' });
    await k(['delete', 'namespace', 'scratch']);
    assert.equal(cluster.get('namespaces', undefined, 'scratch'), undefined);
    assert.equal(cluster.list('secrets', 'scratch').length, 0);
  });

  test('npm run dev:cluster: writes a kubeconfig, seeds sparks, serves kubectl, stops on SIGTERM', async () => {
    const main = fileURLToPath(new URL('../support/fake-kube/main.ts', import.meta.url));
    const standaloneConfig = join(dir, 'standalone-kubeconfig');
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--kubeconfig', standaloneConfig, '--seed-sparks', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s: ${out}`)), 20_000);
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d: string) => {
          out += d;
          const m = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const r = await kubectl(['get', 'deploy', '-l', 'app=spark', '-o', 'name'], kubectlEnv(standaloneConfig));
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), ['deployment.apps/spark-0', 'deployment.apps/spark-1', 'deployment.apps/spark-2']);
      const ctx = await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server} {.contexts[0].name} {.contexts[0].context.namespace}'], kubectlEnv(standaloneConfig));
      assert.equal(ctx.stdout, `${url} fake spark`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
