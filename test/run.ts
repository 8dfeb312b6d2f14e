/**
 * The test entry point (`npm test` ends here): starts the real PostgreSQL servers once for the
 * whole run, hands their addresses to the test files through the environment, runs node's test
 * runner, and removes the servers afterwards — also when tests fail or the run is interrupted.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { clusterEnv, clusterErrorEnv, startControlPlane, type ControlPlane } from './support/cluster/index.js';
import { embeddedPostmasters, stopLeftoverServers } from './support/leftovers.js';
import { startTestServers } from './support/postgres.js';

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'support' ? [] : findTests(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = findTests('test')
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .map((f) => relative(process.cwd(), f))
  .sort();

// The control plane starts beside the PostgreSQL servers when a chosen test uses it. Without it those
// tests fail, saying why.
const needsCluster = files.some((f) => readFileSync(f, 'utf8').includes('support/cluster/'));
let plane: ControlPlane | undefined;
const serversBefore = new Set(embeddedPostmasters().map((p) => p.pid));
let clusterError: Error | undefined;
const [servers] = await Promise.all([
  startTestServers(),
  needsCluster && startControlPlane().then(
    (p) => (plane = p),
    (error: Error) => {
      clusterError = error;
      console.error(`The test control plane did not start; the tests that need it will fail: ${error.message}`);
    },
  ),
]);
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([servers.stop(), plane?.stop()]);
  await stopLeftoverServers(serversBefore);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void stop().then(() => process.exit(130));
  });
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, ...servers.env, ...(plane ? clusterEnv(plane) : clusterError ? clusterErrorEnv(clusterError) : {}) } },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await stop();
process.exit(code);
