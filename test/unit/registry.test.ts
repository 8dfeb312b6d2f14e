/**
 * The runtime registry (src/runtimes/registry.ts): each entry says what its Runtime really offers,
 * how a spark of it is reached, and nothing outside it asks which kind a runtime is.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RUNTIME_KINDS, runtimeEntry } from '../../src/runtimes/registry.js';
import { openKubernetesRuntime } from '../../src/runtimes/kubernetes/runtime.js';
import { EmbeddedServer, LocalRuntime } from '../../src/runtimes/local/index.js';
import type { Runtime, RuntimeKind } from '../../src/core/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'spark-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: u, user: { token: registry-test-token } }]
contexts: [{ name: x, context: { cluster: c, user: u, namespace: spark } }]
current-context: x
`);

// Opened without a server: nothing here connects.
const runtimes: Record<RuntimeKind, Runtime> = {
  kubernetes: openKubernetesRuntime({ get: (key) => (key === 'KUBECONFIG' ? kubeconfig : undefined) }),
  local: new LocalRuntime(new EmbeddedServer(join(dir, 'data'))),
};

test('each entry lists exactly the optional capabilities its Runtime offers', () => {
  for (const kind of RUNTIME_KINDS) {
    assert.equal(runtimes[kind].kind, kind);
    const offered = Object.entries(runtimes[kind].capabilities).filter(([, c]) => c).map(([name]) => name).sort();
    assert.deepEqual([...runtimeEntry(kind).capabilities].sort(), offered, kind);
  }
});

test('how to reach a spark: ssh to its tailnet name (or what the cluster reported), a spark shell locally', () => {
  assert.deepEqual(runtimeEntry('kubernetes').connectHint({ name: 'brave-dolphin' }), { via: 'ssh', command: 'ssh user@spark-brave-dolphin' });
  assert.deepEqual(runtimeEntry('kubernetes').connectHint({ name: 'brave-dolphin', ssh: 'ssh user@spark-brave-dolphin.tail.ts.net' }).command, 'ssh user@spark-brave-dolphin.tail.ts.net');
  assert.deepEqual(runtimeEntry('local').connectHint({ name: 'wise-falcon', ssh: null }), { via: 'shell', command: 'spark shell wise-falcon' });
  assert.equal(runtimeEntry('kubernetes').needsSshKey && !runtimeEntry('local').needsSshKey, true);
  assert.equal(!runtimeEntry('kubernetes').clonesLocalPaths && runtimeEntry('local').clonesLocalPaths, true);
});

test('no runtime kind is compared outside the registry: the CLI, the use-cases and the composition root ask it', () => {
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  const compared = /(?:kind|runtime|SPARK_RUNTIME'\)|SPARK_RUNTIME(?: \?\? '\w+')?\)?)\s*[!=]==\s*'(?:local|kubernetes)'/;
  const offenders = [...files('src/cli'), ...files('src/core'), 'src/backends.ts'].filter((f) => !f.endsWith('registry.ts') && readFileSync(f, 'utf8').split('\n').some((line) => compared.test(line)));
  assert.deepEqual(offenders, []);
});
