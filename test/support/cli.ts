import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capture, type Captured } from './capture.js';

export const SPARK_BIN = fileURLToPath(new URL('../../dist/spark.cjs', import.meta.url));

export type RunResult = Captured;

/** Run the built `spark` as a user would: a subprocess, no TTY, the given environment only. */
export function runSpark(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return capture(process.execPath, [SPARK_BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    cwd: options.cwd,
    input: options.input,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/**
 * A user's home for black-box runs: an SSH public key, and a stand-in `ssh` (SPARK_SSH) that writes
 * the arguments it got to `ssh-argv` (one a line) and exits with FAKE_SSH_EXIT (default 0).
 */
export function makeUserHome(prefix: string): { home: string; publicKey: string; fakeSsh: string } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const publicKey = join(home, 'id_ed25519.pub');
  writeFileSync(publicKey, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  const fakeSsh = join(home, 'fake-ssh');
  writeFileSync(fakeSsh, `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(home, 'ssh-argv')}"\nexit "\${FAKE_SSH_EXIT:-0}"\n`);
  chmodSync(fakeSsh, 0o755);
  return { home, publicKey, fakeSsh };
}
