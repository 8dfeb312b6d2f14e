/**
 * The init script's step runner: a step that outlives its time limit is ended and recorded as
 * failed, and the progress file and the MOTD say where setup stands.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { INIT_SCRIPT } from '../../src/runtimes/kubernetes/init-script.js';

const dir = mkdtempSync(join(tmpdir(), 'spark-steps-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, 'init.sh');
writeFileSync(script, INIT_SCRIPT);
const runDir = join(dir, 'run');

function steps(body: string) {
  const r = spawnSync('bash', ['-c', `source "$1"; SPARK_RUN_DIR="${runDir}"; SPARK_NAME=calm-otter\nmkdir -p "$SPARK_RUN_DIR/steps"; echo 12:00:00 >"$SPARK_RUN_DIR/started"\n${body}`, 'test', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

test('a step past its time limit is ended and recorded as timed out; the MOTD says setup is still running', () => {
  const r = steps(`progress_set 01-repo pending ""; progress_set 02-dotfiles pending ""
start=$SECONDS
run_step 01-repo 1 sleep 30
echo "took $((SECONDS - start))"`);
  assert.match(r.stderr, /^spark-step: repo started$/m);
  assert.match(r.stderr, /^spark-step: repo failed after \ds: timed out after 1s$/m);
  assert.ok(Number(/took (\d+)/.exec(r.stdout)![1]) < 10, 'the sleep was ended, not waited for');
  const progress = readFileSync(join(runDir, 'progress'), 'utf8');
  assert.match(progress, /^spark calm-otter setup, started 12:00:00:$/m);
  assert.match(progress, /^failed +repo +after \ds: timed out after 1s$/m);
  assert.match(progress, /^pending +dotfiles/m);
  assert.match(readFileSync(join(runDir, 'motd'), 'utf8'), /setup is still running/);
});

test('once every step ran, the MOTD names the failures, or is empty when none failed', () => {
  steps('run_step 02-dotfiles 5 true');
  assert.match(readFileSync(join(runDir, 'progress'), 'utf8'), /^done +dotfiles +\ds$/m);
  assert.match(readFileSync(join(runDir, 'motd'), 'utf8'), /setup finished with failures[\s\S]*failed +repo/);
  steps('run_step 01-repo 5 true');
  assert.equal(readFileSync(join(runDir, 'motd'), 'utf8'), '');
});

test('a failing step is recorded with its exit status and does not stop the steps after it', () => {
  const r = steps(`progress_set 03-claude pending ""
run_step 03-claude 5 false; echo next`);
  assert.match(r.stderr, /^spark-step: claude failed after \ds: exit 1$/m);
  assert.match(r.stdout, /next/);
});
