/**
 * The common commands never load @kubernetes/client-node (~120 ms of start-up): create, list,
 * status, shell and delete on the real control plane, each run as a user runs it, with a module
 * loader hook (test/support/loaded-modules/) recording every file the process loaded. The file
 * that holds the typed client (dist/kube-client.cjs) comes from the build's metafile.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { testCluster, type ClusterInfo } from '../support/cluster/index.js';
import { sparkEnv, testServers, unique } from '../support/postgres.js';
import { makeUserHome, runSpark } from '../support/cli.js';

const HOOK = fileURLToPath(new URL('../support/loaded-modules/register.mjs', import.meta.url));
let cluster: ClusterInfo;
let home: string;
let env: Record<string, string>;
let typedClientChunks: string[];

before(() => {
  cluster = testCluster();
  let fakeSsh: string;
  ({ home, fakeSsh } = makeUserHome('spark-typed-client-'));
  env = {
    ...sparkEnv(testServers()[0]!),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: cluster.kubeconfig,
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    SPARK_SSH: fakeSsh,
    NODE_OPTIONS: `--import ${HOOK}`,
  };
  const meta = JSON.parse(readFileSync(fileURLToPath(new URL('../../dist/meta.json', import.meta.url)), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  typedClientChunks = Object.entries(meta.outputs)
    .filter(([, o]) => Object.keys(o.inputs).some((i) => i.includes('node_modules/@kubernetes/client-node/')))
    .map(([file]) => file.replace(/^dist\//, ''));
  assert.ok(typedClientChunks.length > 0, 'the build has a chunk with the typed client');
});

/** Run spark; the dist files it loaded (e.g. spark.cjs, kube-client.cjs). */
async function loaded(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; files: string[] }> {
  const log = join(home, `loaded-${unique('log')}`);
  const result = await runSpark(args, { env: { ...env, SPARK_TEST_LOADED_LOG: log, ...extraEnv }, timeoutMs: 120_000 });
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.includes('/dist/'))
    .map((url) => url.replace(/^.*\/dist\//, ''));
  rmSync(log, { force: true });
  return { code: result.code, stderr: result.stderr, files };
}

test('create, list, status, shell and delete run without loading the typed Kubernetes client', async () => {
  const name = unique('light');
  const commands = [['create', name, '--no-shell'], ['list', '--json'], ['status', name, '--json'], ['shell', name, '--', 'true'], ['delete', name, '--yes']];
  for (const args of commands) {
    const run = await loaded(args);
    assert.equal(run.code, 0, `spark ${args.join(' ')}: ${run.stderr}`);
    assert.ok(run.files.includes('spark.cjs'), `spark ${args.join(' ')}: the hook saw the bin`);
    assert.deepEqual(run.files.filter((f) => typedClientChunks.includes(f)), [], `spark ${args.join(' ')} loaded the typed client`);
  }
});

test('a legacy auth-provider user still works through the typed client (so the check above can fail)', async () => {
  const kubeconfig = join(home, 'auth-provider.yaml');
  // The admin's token, handed over by the typed client's own auth-provider support (oidc reads id-token).
  const admin = readFileSync(cluster.kubeconfig, 'utf8');
  const token = /token: (\S+)/.exec(admin)?.[1];
  assert.ok(token, 'the admin kubeconfig has a token');
  writeFileSync(kubeconfig, admin.replace(/token: \S+/, `auth-provider:\n      name: oidc\n      config:\n        id-token: ${token}\n        idp-issuer-url: https://issuer.invalid`));
  const run = await loaded(['list', '--json'], { KUBECONFIG: kubeconfig });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.files.some((f) => typedClientChunks.includes(f)), 'the typed client was loaded for the auth-provider');
});
