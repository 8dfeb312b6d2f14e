/** A create's or a lock's owner that has exited is not running, even before its parent collects it. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { processRunning } from '../../src/process.js';

test('processRunning: yes for a live process, no for an exited one not yet collected (zombie), no for a bad pid', async () => {
  // `sleep 0` exits at once; its parent has become `sleep 5`, which never collects it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombie = Number(chunk.toString().trim());
    const deadline = Date.now() + 5_000;
    while (processRunning(zombie) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(processRunning(zombie), false, 'the exited child counts as gone');
    assert.equal(processRunning(parent.pid!), true);
    assert.equal(processRunning(process.pid), true);
    assert.equal(processRunning(0), false);
  } finally {
    parent.kill();
  }
});
