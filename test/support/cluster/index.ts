/**
 * A real Kubernetes control plane on loopback for the tests: etcd, kube-apiserver (RBAC, the default
 * admission plugins), kube-controller-manager, kube-scheduler and kwok simulating one Node, all
 * built from the Go modules pinned in test/cluster (scripts/cluster-binaries.sh). Certificates and
 * tokens are made per run; everything lives in one temp dir and every process is killed by its PID.
 *
 * test/run.ts starts one per run and describes it to the test files in SPARK_TEST_CLUSTER
 * (`testCluster()`); a test that stops parts of it (faults) starts its own with `startControlPlane()`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capture, type Captured } from '../capture.js';
import { freePort } from '../../../src/database/server.js';

const ENV_KEY = 'SPARK_TEST_CLUSTER';
const ERROR_KEY = 'SPARK_TEST_CLUSTER_ERROR';
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const STAGES = fileURLToPath(new URL('./kwok-stages.yaml', import.meta.url));
export const NODE_NAME = 'kwok-node-0';
/** The node's size: a pod asking for more CPU than this is Unschedulable. */
export const NODE_CPUS = 8;

/** What a test file needs to use a running control plane (JSON in SPARK_TEST_CLUSTER). */
export interface ClusterInfo {
  /** https://127.0.0.1:port */
  server: string;
  port: number;
  /** An admin (system:masters) kubeconfig, context `spark-test`, namespace `spark`. */
  kubeconfig: string;
  caFile: string;
  caCert: string;
  adminToken: string;
  binDir: string;
  /** Directory for the run's files (logs: *.log). */
  dir: string;
}

export interface ControlPlane extends ClusterInfo {
  /** Stop one process (SIGTERM, then SIGKILL) and start it again with the same flags and data. */
  stopComponent(name: Component): Promise<void>;
  startComponent(name: Component): Promise<void>;
  stop(): Promise<void>;
}

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** The cached binaries, or an error saying how to build them. Never builds (that takes minutes). */
export function findBinaries(): string {
  const result = spawnSync(join(REPO, 'scripts/cluster-binaries.sh'), ['--check'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr.trim() || `scripts/cluster-binaries.sh --check exited ${result.status}`);
  return result.stdout.trim();
}

/** The run's control plane; throws (so the test fails, not skips) when test/run.ts could not start one. */
export function testCluster(): ClusterInfo {
  const raw = process.env[ENV_KEY];
  if (!raw) {
    throw new Error(
      process.env[ERROR_KEY] ??
        'No test control plane: run the tests with `node --import tsx test/run.ts` (npm test), which starts one from the binaries scripts/cluster-binaries.sh builds.',
    );
  }
  return JSON.parse(raw) as ClusterInfo;
}

export function clusterEnv(info: ClusterInfo): Record<string, string> {
  return { [ENV_KEY]: JSON.stringify(info) };
}

export function clusterErrorEnv(error: Error): Record<string, string> {
  return { [ERROR_KEY]: `The test control plane did not start: ${error.message}` };
}

/** The cached kubectl (the control plane's version) with an isolated cache dir. */
export function kubectl(info: Pick<ClusterInfo, 'binDir' | 'kubeconfig' | 'dir'>, args: string[], options: { input?: string; kubeconfig?: string } = {}): Promise<Captured> {
  return capture(join(info.binDir, 'kubectl'), ['--kubeconfig', options.kubeconfig ?? info.kubeconfig, '--cache-dir', join(info.dir, 'kubectl-cache'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: info.dir },
    input: options.input,
    timeoutMs: 60_000,
  });
}

/** kubectl that must succeed; returns its stdout. */
export async function kubectlOk(info: Pick<ClusterInfo, 'binDir' | 'kubeconfig' | 'dir'>, args: string[], options: { input?: string; kubeconfig?: string } = {}): Promise<string> {
  const result = await kubectl(info, args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** A kubeconfig for `server` authenticating with `token` only (context `spark-test`, namespace `spark`). */
export function kubeconfigYaml(info: Pick<ClusterInfo, 'server' | 'caCert'>, user: string, token: string, namespace = 'spark'): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: spark-test
  cluster:
    server: ${info.server}
    certificate-authority-data: ${Buffer.from(info.caCert).toString('base64')}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: spark-test
  context: {cluster: spark-test, user: ${user}, namespace: ${namespace}}
current-context: spark-test
`;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** CA, API server serving cert (loopback + the in-cluster names), service-account key pair. */
function makeCertificates(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=spark-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  writeFileSync(
    join(dir, 'serving.ext'),
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n',
  );
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', 'serving.key', '-out', 'serving.csr']);
  openssl(dir, ['x509', '-req', '-in', 'serving.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'serving.ext', '-out', 'serving.crt']);
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** GET path on the API server with the admin token; resolves with the status code (0: no answer). */
function probe(info: Pick<ClusterInfo, 'port' | 'caCert' | 'adminToken'>, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: info.port, path, ca: info.caCert, headers: { Authorization: `Bearer ${info.adminToken}` }, timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, exited: () => string | undefined, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    if (await check()) return;
    const gone = exited();
    if (gone) throw new Error(`${what}: ${gone}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

interface Running {
  child: ChildProcess;
  exit?: string;
}

/**
 * Start the whole control plane; resolves when a pod could be scheduled and run on the node.
 * `extraArgs` adds flags to a component (the bench raises the controller-manager's API rate limits).
 */
export async function startControlPlane(options: { binDir?: string; extraArgs?: Partial<Record<Component, string[]>> } = {}): Promise<ControlPlane> {
  const started = Date.now();
  const binDir = options.binDir ?? findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'spark-cluster-'));
  const processes = new Map<Component, Running>();
  const argv = new Map<Component, string[]>();
  let stopped = false;

  const logTail = (name: string): string => {
    try {
      return readFileSync(join(dir, `${name}.log`), 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };
  const launch = (name: Component): void => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(join(binDir, name), argv.get(name)!, { cwd: dir, stdio: ['ignore', log, log] });
    closeSync(log);
    const running: Running = { child };
    child.on('exit', (code, signal) => {
      running.exit = `${name} exited (${signal ?? code}); the end of ${join(dir, `${name}.log`)}:\n${logTail(name)}`;
    });
    child.on('error', (error) => {
      running.exit = `${name} did not start: ${error.message}`;
    });
    processes.set(name, running);
  };
  const anyExited = (): string | undefined => [...processes.values()].find((p) => p.exit)?.exit;
  const kill = async (name: Component): Promise<void> => {
    const running = processes.get(name);
    processes.delete(name);
    if (!running || running.exit || running.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
    running.child.kill('SIGTERM');
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killAllNow);
    for (const name of ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'] as const) await kill(name);
    rmSync(dir, { recursive: true, force: true });
  };
  // Last resort when the test process exits without calling stop(): no stray control plane.
  const killAllNow = (): void => {
    for (const p of processes.values()) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  };
  process.on('exit', killAllNow);

  try {
    makeCertificates(dir);
    const adminToken = randomBytes(24).toString('hex');
    const componentToken = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},admin,admin,"system:masters"\n${componentToken},system:spark-test-components,components,"system:masters"\n`, { mode: 0o600 });
    const [etcdPort, peerPort, port, kwokPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const caCert = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const info: ClusterInfo = { server: `https://127.0.0.1:${port}`, port, kubeconfig: join(dir, 'admin.kubeconfig'), caFile: join(dir, 'ca.crt'), caCert, adminToken, binDir, dir };
    writeFileSync(info.kubeconfig, kubeconfigYaml(info, 'admin', adminToken), { mode: 0o600 });
    const components = join(dir, 'components.kubeconfig');
    writeFileSync(components, kubeconfigYaml(info, 'components', componentToken, 'default'), { mode: 0o600 });

    argv.set('etcd', [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`, `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      // A test cluster: speed over durability.
      '--unsafe-no-fsync', '--log-level=warn',
    ]);
    argv.set('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`, `--cert-dir=${dir}`,
      '--tls-cert-file=serving.crt', '--tls-private-key-file=serving.key', '--client-ca-file=ca.crt',
      '--token-auth-file=tokens.csv', '--authorization-mode=Node,RBAC', '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', '--service-account-key-file=sa.pub', '--service-account-signing-key-file=sa.key',
      '--service-cluster-ip-range=10.0.0.0/24',
      // Endpoints may not hold loopback addresses; nothing here needs the `kubernetes` Service's endpoints.
      '--endpoint-reconciler-type=none',
      // Container logs come from kwok's server on loopback (the node's InternalIP), not a real kubelet.
      '--kubelet-preferred-address-types=InternalIP',
      '--profiling=false', '--v=1',
    ]);
    argv.set('kube-controller-manager', [
      `--kubeconfig=${components}`, `--authentication-kubeconfig=${components}`, `--authorization-kubeconfig=${components}`,
      '--bind-address=127.0.0.1', '--secure-port=0', '--leader-elect=false',
      '--service-account-private-key-file=sa.key', '--root-ca-file=ca.crt', '--use-service-account-credentials=false',
      // The only volume provisioner without a cloud: enough for PVCs to bind (nothing is mounted; kwok runs no containers).
      '--enable-hostpath-provisioner=true', '--controllers=*',
      // kwok's node is always there; on a loaded machine its heartbeat can lag past the default 50 s,
      // and node lifecycle would then mark it NotReady and every pod unready mid-test.
      '--node-monitor-grace-period=1h', '--node-startup-grace-period=1h',
      '--profiling=false', '--v=1',
    ]);
    argv.set('kube-scheduler', [
      `--kubeconfig=${components}`, `--authentication-kubeconfig=${components}`, `--authorization-kubeconfig=${components}`,
      '--bind-address=127.0.0.1', '--secure-port=0', '--leader-elect=false', '--profiling=false', '--v=1',
    ]);
    argv.set('kwok', [
      `--kubeconfig=${components}`, `--config=${STAGES}`,
      '--manage-all-nodes=false', '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--cidr=10.244.0.0/16', '--node-ip=127.0.0.1',
      // Its kubelet endpoint serves pods/log from files named by Logs objects (containerLogsFor).
      `--node-port=${kwokPort}`, `--server-address=127.0.0.1:${kwokPort}`, '--enable-crds=Logs',
    ]);

    for (const [name, extra] of Object.entries(options.extraArgs ?? {}) as Array<[Component, string[]]>) argv.get(name)?.push(...extra);
    launch('etcd');
    await waitUntil('etcd', () => httpOk(`http://127.0.0.1:${etcdPort}/health`), anyExited);
    launch('kube-apiserver');
    await waitUntil('kube-apiserver /readyz', async () => (await probe(info, '/readyz')).status === 200, anyExited);
    await kubectlOk(info, ['apply', '-f', '-'], { input: JSON.stringify(LOGS_CRD) });
    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const) launch(name);
    await kubectlOk(info, ['apply', '-f', '-'], { input: JSON.stringify(bootstrapObjects()) });
    // Pods can be made once the namespace has its default ServiceAccount (controller-manager) and the node is Ready (kwok).
    await waitUntil('the default ServiceAccount of namespace spark', async () => (await probe(info, '/api/v1/namespaces/spark/serviceaccounts/default')).status === 200, anyExited);
    await waitUntil(`node ${NODE_NAME} Ready`, async () => {
      const node = await probe(info, `/api/v1/nodes/${NODE_NAME}`);
      return node.status === 200 && /"type":"Ready","status":"True"/.test(node.body);
    }, anyExited);

    const plane: ControlPlane = {
      ...info,
      stop,
      stopComponent: kill,
      async startComponent(name) {
        launch(name);
        if (name === 'kube-apiserver') await waitUntil('kube-apiserver /readyz', async () => (await probe(info, '/readyz')).status === 200, anyExited);
        if (name === 'etcd') await waitUntil('etcd', () => httpOk(`http://127.0.0.1:${etcdPort}/health`), anyExited);
      },
    };
    if (process.env.SPARK_TEST_CLUSTER_VERBOSE) console.error(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${info.server}`);
    return plane;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * kwok's Logs kind (kwok.x-k8s.io/v1alpha1), whose objects name the file a pod's container log is
 * read from (CRI log format). Its schema is left open: kwok validates what it reads.
 */
const LOGS_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'logs.kwok.x-k8s.io' },
  spec: {
    group: 'kwok.x-k8s.io',
    names: { kind: 'Logs', listKind: 'LogsList', plural: 'logs', singular: 'logs' },
    scope: 'Namespaced',
    versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

/**
 * Make the container log of `pod` the file `file` (CRI format: `TIME stdout|stderr F text` a line),
 * so pods/log of that pod — spark logs, the activity reader — reads it through the real API server.
 */
export async function containerLogsFor(cluster: ClusterInfo, pod: string, file: string, namespace = 'spark'): Promise<void> {
  const logs = { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Logs', metadata: { name: pod, namespace }, spec: { logs: [{ containers: ['spark'], logsFile: file, follow: true }] } };
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: JSON.stringify(logs) });
}

/** One line of a CRI container log file, as the kubelet writes it. */
export function criLogLine(text: string, at = new Date(), stream: 'stdout' | 'stderr' = 'stderr'): string {
  return `${at.toISOString().replace(/Z$/, '000000Z')} ${stream} F ${text}\n`;
}

function httpOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
}

/** What a fresh cluster of a homelab has that tests rely on: the spark namespace, a default StorageClass, one Node. */
function bootstrapObjects(): unknown {
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'spark' } },
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'kubernetes.io/host-path',
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      },
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: NODE_NAME, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', type: 'kwok' } },
        status: {
          capacity: { cpu: String(NODE_CPUS), memory: '32Gi', pods: '110' },
          allocatable: { cpu: String(NODE_CPUS), memory: '32Gi', pods: '110' },
        },
      },
    ],
  };
}
