/** The real OpenSSH client against a booted spark, as a user logs in. */
import { capture, type Captured } from '../capture.js';
import type { BootedSpark } from './boot.js';

export interface SshTarget {
  address: string;
  privateKey: string;
  knownHosts: string;
  user?: string;
}

export function sshArgs(target: SshTarget, options: string[] = []): string[] {
  return [
    '-i', target.privateKey,
    '-F', '/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    // accept-new: a first login records the host key; a changed one is refused.
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${target.knownHosts}`,
    '-o', 'ConnectTimeout=5',
    ...options,
    `${target.user ?? 'user'}@${target.address}`,
  ];
}

/** `ssh user@spark COMMAND`; `options` go before the destination (e.g. ['-tt']). */
export function ssh(target: SshTarget, command: string, options: string[] = [], timeoutMs = 60_000): Promise<Captured> {
  return capture('ssh', [...sshArgs(target, options), '--', command], { timeoutMs });
}

/**
 * Tries a key login until one succeeds; resolves with the milliseconds since the spark's PID 1
 * started. Fails when the spark exits or `timeoutMs` passes.
 */
export async function waitForLogin(spark: BootedSpark, target: SshTarget, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: Captured | undefined;
  while (Date.now() < deadline) {
    if (!spark.running) throw new Error(`the spark exited before a login succeeded:\n${spark.output}`);
    last = await ssh(target, 'true', ['-o', 'ConnectTimeout=2'], 10_000);
    if (last.code === 0) return Number(process.hrtime.bigint() - spark.startedAt) / 1e6;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no SSH login within ${timeoutMs} ms (last: ${last?.stderr.trim()}):\n${spark.output}`);
}
