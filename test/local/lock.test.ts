/**
 * The local lock under contention from several processes: each holds it alone, and giving it back
 * never fails or takes it from the next holder (a release that emptied the lock in place let a
 * contender rename into it, and the releaser's rmdir then failed with ENOTEMPTY).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { capture } from '../support/capture.js';

const WORKER = fileURLToPath(new URL('./fixtures/lock-worker.ts', import.meta.url));

test('four processes take the local lock 150 times each: always alone, every release clean, nothing left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spark-lock-'));
  try {
    const runs = await Promise.all([1, 2, 3, 4].map(() => capture(process.execPath, ['--import', 'tsx', WORKER, dir, '150'], { timeoutMs: 120_000 })));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(dir), [], 'no lock, staging or released directory is left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
