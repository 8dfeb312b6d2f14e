/**
 * A cross-process lock on a directory, for the few moments spark initialises, starts, stops or
 * sets up the embedded server: two `spark` commands run at once must not both run initdb or both
 * start postgres on one data directory.
 *
 * The lock is a directory holding an `owner` file. It is made complete under a temporary name and
 * renamed into place: rename(2) onto an existing non-empty directory fails, so taking the lock is
 * atomic and the lock never exists without its owner. A lock whose owner process is gone (killed
 * mid-start) is stale and is taken over.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SparkError } from '../../errors.js';
import { processAlive, processStart } from '../../process.js';

interface Owner {
  pid: number;
  /** Start time of the process (clock ticks since boot), so a recycled pid is not mistaken for the owner. */
  start?: string;
  token: string;
}

function readOwner(lockDir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(lockDir, 'owner'), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR';
}

async function acquire(lockDir: string, deadline: number, what: string): Promise<string> {
  const token = randomBytes(12).toString('hex');
  const owner: Owner = { pid: process.pid, start: processStart(process.pid), token };
  for (;;) {
    const staging = `${lockDir}.${token}`;
    mkdirSync(staging, { mode: 0o700 });
    writeFileSync(join(staging, 'owner'), JSON.stringify(owner), { mode: 0o600 });
    try {
      renameSync(staging, lockDir);
      return token;
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (!isBusy(error)) throw error;
    }
    const held = readOwner(lockDir);
    if (held && !processAlive(held.pid, held.start)) {
      // Take the stale lock aside; only one contender's rename of it succeeds. If what we moved
      // turns out to be a newer, live lock (another contender was faster), put it back.
      const aside = `${lockDir}.stale-${token}`;
      try {
        renameSync(lockDir, aside);
        const moved = readOwner(aside);
        if (moved && moved.token !== held.token) {
          try {
            renameSync(aside, lockDir);
          } catch {
            // The slot was taken again meanwhile: that newer lock wins; the moved one is dropped.
          }
        }
        rmSync(aside, { recursive: true, force: true });
      } catch {
        // Someone else moved it first.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new SparkError(`Another spark process (pid ${held?.pid ?? 'unknown'}) is still ${what}.`, {
        hint: `Wait for it to finish and try again. If no spark command is running, remove the lock: rm -r ${lockDir}`,
        code: 'LOCAL_LOCKED',
      });
    }
    await delay(50);
  }
}

function release(lockDir: string, token: string): void {
  if (readOwner(lockDir)?.token !== token) return;
  // Move it aside first: removing it in place empties it before the rmdir, and rename(2) onto an
  // empty directory succeeds, so a contender could take the lock in between and lose it to our rmdir.
  const released = `${lockDir}.released-${token}`;
  renameSync(lockDir, released);
  rmSync(released, { recursive: true, force: true });
}

/** Run `fn` holding the lock; wait for another holder up to `timeoutMs`. */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, options: { timeoutMs: number; what: string }): Promise<T> {
  const token = await acquire(lockDir, Date.now() + options.timeoutMs, options.what);
  try {
    return await fn();
  } finally {
    release(lockDir, token);
  }
}
