/**
 * The test entry point (`npm test` ends here): starts the real PostgreSQL servers once for the
 * whole run, hands their addresses to the test files through the environment, runs node's test
 * runner, and removes the servers afterwards — also when tests fail or the run is interrupted.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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

const servers = await startTestServers();
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await servers.stop();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void stop().then(() => process.exit(130));
  });
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, ...servers.env } },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await stop();
process.exit(code);
