/**
 * `spark list` asks for the Deployments as the server-side Table kubectl prints (each row with its
 * metadata, READY = ready/desired) and reads the same states from it as from whole objects; a server
 * that answers a plain list is read as one, and a table it cannot read (no READY column, rows
 * without metadata) is asked for again as a plain list. The real control plane answers Tables (the
 * list tests in test/k8s); these answers are what older or other servers may give, played by an
 * HTTPS server on loopback that records each request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { openKubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { selfSigned } from '../support/tls.js';

type Deployments = 'table' | 'plain' | 'table without READY' | 'table without metadata';

const tls = selfSigned('api-server');
let server: Server;
let dir: string;
let kubeconfigPath: string;
let mode: Deployments = 'table';
const seen: Array<{ path: string; accept: string; query: URLSearchParams }> = [];

/** Two sparks: `awake` (1 of 1 ready) and `asleep` (scaled to 0), each with its four listed objects. */
function manifests(name: string, replicas: number) {
  const m = sparkManifests(
    { name, repo: '', databaseName: name, databaseUrl: `postgresql://spark:pw@db.example:5432/${name}`, isolation: 'shared', createdAt: '2025-01-01T00:00:00.000Z', creator: 'me@laptop', sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@laptop' },
    DEFAULT_MANIFEST_OPTIONS,
  );
  const deployment = { ...m.deployment, spec: { ...m.deployment.spec, replicas }, status: { readyReplicas: replicas } };
  return { ...m, deployment };
}
const sparks = [manifests('awake', 1), manifests('asleep', 0)];

function deploymentsAnswer(tableAsked: boolean): unknown {
  const items = sparks.map((s) => s.deployment);
  if (!tableAsked || mode === 'plain') return { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: {}, items };
  const columns = mode === 'table without READY' ? ['Name', 'Age'] : ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: columns.map((name) => ({ name, type: 'string', format: '', description: name, priority: 0 })),
    rows: items.map((d) => ({
      cells: columns.map((c) => (c === 'Name' ? d.metadata?.name : c === 'Ready' ? `${d.status.readyReplicas}/${d.spec.replicas}` : c === 'Age' ? '5m' : 0)),
      object: mode === 'table without metadata' ? undefined : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: d.metadata },
    })),
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spark-list-table-'));
  server = createServer(tls, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const accept = req.headers.accept ?? '';
    seen.push({ path: url.pathname, accept, query: url.searchParams });
    const kind = url.pathname.split('/').pop();
    const list = (items: unknown[]): unknown => ({ kind: 'List', apiVersion: 'v1', metadata: {}, items });
    const body =
      kind === 'deployments'
        ? deploymentsAnswer(/as=Table/.test(accept))
        : kind === 'services'
          ? list(sparks.map((s) => s.service))
          : kind === 'persistentvolumeclaims'
            ? list(sparks.map((s) => ({ ...s.pvc, status: { phase: 'Bound' } })))
            : kind === 'configmaps'
              ? list(sparks.map((s) => ({ metadata: s.configMap.metadata })))
              : list([]);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: https://127.0.0.1:${port}`,
      `    certificate-authority-data: ${Buffer.from(tls.cert).toString('base64')}`,
      'users:',
      '- name: me',
      '  user: {token: test-token}',
      'contexts:',
      '- name: test',
      '  context: {cluster: test, user: me, namespace: spark}',
      'current-context: test',
      '',
    ].join('\n'),
  );
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listWith(answer: Deployments): Promise<{ states: Record<string, string>; asked: Array<{ table: boolean; includeObject: string | null }> }> {
  mode = answer;
  const from = seen.length;
  const runtime = openKubernetesRuntime({ get: (key) => ({ KUBECONFIG: kubeconfigPath, SPARK_NAMESPACE: 'spark' })[key] });
  const listed = await runtime.list();
  const asked = seen
    .slice(from)
    .filter((r) => r.path.endsWith('/deployments'))
    .map((r) => ({ table: /as=Table;v=v1;g=meta\.k8s\.io/.test(r.accept), includeObject: r.query.get('includeObject') }));
  return { states: Object.fromEntries(listed.map((s) => [s.name, s.state])), asked };
}

const expected = { asleep: 'Sleeping', awake: 'Running' };

test('the Deployments are asked as a Table with metadata, and read from its READY column', async () => {
  const { states, asked } = await listWith('table');
  assert.deepEqual(states, expected);
  assert.deepEqual(asked, [{ table: true, includeObject: 'Metadata' }], 'one request, for the Table');
});

test('a server that answers the Table ask with a plain list is read as one, without asking again', async () => {
  const { states, asked } = await listWith('plain');
  assert.deepEqual(states, expected);
  assert.equal(asked.length, 1);
});

for (const answer of ['table without READY', 'table without metadata'] as const) {
  test(`a ${answer} is asked for again as a plain list`, async () => {
    const { states, asked } = await listWith(answer);
    assert.deepEqual(states, expected);
    assert.deepEqual(
      asked.map((a) => a.table),
      [true, false],
      'the Table first, then the plain list',
    );
  });
}
