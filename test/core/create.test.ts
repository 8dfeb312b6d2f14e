/**
 * The create use-case against the in-memory ports: rollback after each step, the name race, a
 * readiness timeout, an interrupt and a stopped cleanup. No subprocess, server or cluster: the
 * black-box suites (test/lifecycle, test/k8s, test/trust) prove the real adapters do the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSpark, type CreateInput } from '../../src/core/create.js';
import { SparkError } from '../../src/errors.js';
import { gate, memoryBackend, type MemoryBackend } from '../support/memory-ports.js';

const input = (name?: string): CreateInput => ({ name, timeoutMs: 60_000, isolation: 'shared', creator: 'test@host' });

async function failure(work: Promise<unknown>): Promise<SparkError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof SparkError, String(error));
    return error;
  }
  assert.fail('the create succeeded');
}

const nothingLeft = (backend: MemoryBackend, name: string): void => {
  assert.equal(backend.runtime.sparks.has(name), false, 'no runtime objects left');
  assert.equal(backend.databases.databases.has(name), false, 'no database left');
};

test('a create makes the database and the objects, waits, and clears its in-flight mark', async () => {
  const backend = memoryBackend();
  const steps: string[] = [];
  const result = await createSpark(backend, input('brave-dolphin'), { onProgress: (e) => steps.push(e.step) });
  assert.equal(result.name, 'brave-dolphin');
  assert.equal(result.spark.state, 'Running');
  assert.ok(backend.databases.databases.get('brave-dolphin')?.ours);
  assert.equal(backend.runtime.sparks.get('brave-dolphin')?.inFlight, undefined, 'the mark is cleared once created');
  assert.deepEqual(steps, ['Choosing a name', 'Creating the database and the spark', 'Waiting for the spark to be ready']);
});

// Each step that can fail after the claim: everything this run made is removed, and the error says so.
for (const [what, breakIt] of [
  ['the database cannot be created', (b: MemoryBackend) => b.databases.script.fail('create', new SparkError('permission denied to create database', { code: 'DB_NO_CREATEDB' }))],
  ['the runtime objects cannot be made', (b: MemoryBackend) => b.runtime.script.fail('create', new SparkError('quota exceeded', { code: 'KUBE_QUOTA' }))],
  ['the spark fails while starting', (b: MemoryBackend) => void (b.runtime.readiness = 'fatal')],
] as const) {
  test(`rollback: when ${what}, nothing of the spark is left and the error keeps its code`, async () => {
    const backend = memoryBackend();
    breakIt(backend);
    const error = await failure(createSpark(backend, input('wise-falcon')));
    nothingLeft(backend, 'wise-falcon');
    assert.match(error.message, /Nothing of "wise-falcon" was left behind\.$/);
    assert.notEqual(error.code, 'FAILED');
  });
}

test('rollback: a claim or plan that fails makes nothing, and nothing is removed', async () => {
  for (const [port, op] of [['runtime', 'claim'], ['databases', 'plan']] as const) {
    const backend = memoryBackend();
    backend[port].script.fail(op as never, new SparkError('API server unreachable', { code: 'KUBE_UNREACHABLE' }));
    const error = await failure(createSpark(backend, input('calm-otter')));
    assert.equal(error.code, 'KUBE_UNREACHABLE');
    nothingLeft(backend, 'calm-otter');
    assert.ok(!backend.runtime.script.calls.some((c) => c.startsWith('delete')), `${op}: no rollback of what was never made`);
  }
});

test('rollback that cannot remove something names it and says how to finish', async () => {
  const backend = memoryBackend();
  backend.runtime.readiness = 'fatal';
  backend.databases.script.fail('drop', new Error('connection refused'));
  const error = await failure(createSpark(backend, input('lone-heron')));
  assert.match(error.message, /Could not remove: database lone-heron \(connection refused\)\./);
  assert.match(error.hint ?? '', /spark delete lone-heron$/);
  assert.equal(backend.runtime.sparks.has('lone-heron'), false);
});

test('the name race: of two creates of one name exactly one wins; the loser removes nothing of the winner', async () => {
  const backend = memoryBackend();
  const results = await Promise.allSettled([createSpark(backend, input('same-name')), createSpark(backend, input('same-name'))]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.equal((lost[0]!.reason as SparkError).code, 'NAME_TAKEN');
  assert.ok(backend.runtime.sparks.get('same-name')?.complete, "the winner's spark stands");
  assert.ok(backend.databases.databases.has('same-name'), "the winner's database stands");
});

test('a generated name that another create took meanwhile is replaced by another', async () => {
  const backend = memoryBackend();
  backend.runtime.script.fail('claim', new SparkError('taken', { code: 'NAME_TAKEN' }), 1);
  const result = await createSpark(backend, input());
  assert.equal(backend.runtime.script.calls.filter((c) => c.startsWith('claim')).length, 2);
  assert.ok(backend.runtime.sparks.has(result.name));
});

test('a database of that name that is not a spark\'s takes the name: refused before anything is made', async () => {
  const backend = memoryBackend();
  backend.databases.databases.set('billing', { name: 'billing', owner: 'app', ours: false, belongsTo: 'namespace team-a' });
  const error = await failure(createSpark(backend, input('billing')));
  assert.equal(error.code, 'NAME_TAKEN');
  assert.match(error.message, /not a spark of this namespace \(it belongs to namespace team-a\)/);
  assert.match(error.hint ?? '', /--force-db/);
  assert.equal(backend.runtime.sparks.size, 0);
  assert.equal(backend.databases.databases.get('billing')?.owner, 'app');
});

test('readiness timeout: the spark is kept (a slow start is no failure) and its in-flight mark is cleared', async () => {
  const backend = memoryBackend();
  backend.runtime.readiness = 'timeout';
  const error = await failure(createSpark(backend, input('slow-snail')));
  assert.equal(error.code, 'READY_TIMEOUT');
  assert.ok(backend.runtime.sparks.has('slow-snail'));
  assert.ok(backend.databases.databases.has('slow-snail'));
  assert.equal(await backend.runtime.creating('slow-snail'), undefined, 'a delete may proceed');
});

test('an interrupt while waiting removes everything and exits 130', async () => {
  const backend = memoryBackend();
  backend.runtime.readiness = 'until-aborted';
  const interrupt = new AbortController();
  const waiting = gate();
  backend.runtime.script.hold('waitReady', async () => waiting.open());
  const run = createSpark(backend, input('quick-quail'), { signal: interrupt.signal });
  await waiting.opened;
  interrupt.abort();
  const error = await failure(run);
  assert.equal(error.code, 'INTERRUPTED');
  assert.equal(error.exitCode, 130);
  nothingLeft(backend, 'quick-quail');
});

test('a second interrupt stops the cleanup: the error names what is still being removed', async () => {
  const backend = memoryBackend();
  backend.runtime.readiness = 'fatal';
  const stop = new AbortController();
  const never = gate();
  backend.databases.script.hold('drop', () => never.opened);
  backend.databases.script.hold('create', async () => {});
  const deleting = gate();
  backend.runtime.script.hold('delete', async () => {
    deleting.open();
  });
  const run = createSpark(backend, input('stuck-stork'), { cleanupSignal: stop.signal });
  await deleting.opened;
  stop.abort();
  const error = await failure(run);
  assert.match(error.message, /database stuck-stork \(the cleanup was stopped\)/);
  never.open();
});

test('the claim removed by someone else mid-create: CLAIM_LOST, and the database is dropped', async () => {
  const backend = memoryBackend();
  backend.runtime.readiness = 'until-aborted';
  const waiting = gate();
  backend.runtime.script.hold('waitReady', async () => waiting.open());
  const run = createSpark(backend, input('gone-goose'));
  await waiting.opened;
  await backend.runtime.delete('gone-goose');
  const error = await failure(run);
  assert.equal(error.code, 'CLAIM_LOST');
  assert.match(error.message, /its ConfigMap disappeared/);
  nothingLeft(backend, 'gone-goose');
});
