/**
 * The delete use-case against the in-memory ports: its refusals (nothing deleted) and the rule that
 * a database goes only after its spark's objects are confirmed gone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSpark } from '../../src/core/create.js';
import { deleteSpark } from '../../src/core/delete.js';
import { inFlightMark } from '../../src/core/inflight.js';
import { SparkError } from '../../src/errors.js';
import { memoryBackend, type MemoryBackend } from '../support/memory-ports.js';

async function withSpark(name: string, kind: 'kubernetes' | 'local' = 'kubernetes'): Promise<MemoryBackend> {
  const backend = memoryBackend(kind);
  await createSpark(backend, { name, timeoutMs: 60_000, isolation: 'shared', creator: 'test@host' });
  return backend;
}

async function refusal(work: Promise<unknown>): Promise<SparkError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof SparkError, String(error));
    assert.match(error.message, /^Nothing was deleted/);
    return error;
  }
  assert.fail('the delete went ahead');
}

/** A database of the spark's name that is not the spark's: untagged, and not the one its URL names. */
function strangerDatabase(backend: MemoryBackend, name: string): void {
  backend.databases.databases.set(name, { name, owner: 'spark', ours: false });
  backend.runtime.sparks.get(name)!.spec.databaseName = 'elsewhere';
}

const intact = (backend: MemoryBackend, name: string): void => {
  assert.ok(backend.runtime.sparks.has(name), 'objects kept');
  assert.ok(backend.databases.databases.has(name), 'database kept');
};

test('a delete removes the objects, then the database', async () => {
  const backend = await withSpark('brave-dolphin');
  let objectsAtDrop: boolean | undefined;
  backend.databases.script.hold('drop', async () => void (objectsAtDrop = backend.runtime.sparks.has('brave-dolphin')));
  const outcome = await deleteSpark(backend, 'brave-dolphin', { keepDatabase: false });
  assert.deepEqual(outcome, { name: 'brave-dolphin', runtime: 'kubernetes', removed: ['objects of brave-dolphin', 'database brave-dolphin'], left: [] });
  assert.equal(objectsAtDrop, false, 'the database goes only once the objects are gone');
});

test('refused while a create of that name still runs (its in-flight mark)', async () => {
  const backend = await withSpark('busy-bee');
  backend.runtime.sparks.get('busy-bee')!.inFlight = inFlightMark(60_000, new Date());
  const error = await refusal(deleteSpark(backend, 'busy-bee', { keepDatabase: false }));
  assert.equal(error.code, 'CREATE_IN_FLIGHT');
  intact(backend, 'busy-bee');
});

// A part that cannot be asked: nothing is deleted, and the fix is named.
for (const [why, breakIt, code, hint] of [
  ['the runtime cannot be read (the reason\'s fix)', (b: MemoryBackend) => b.runtime.script.fail('creating', new SparkError('cluster unreachable', { code: 'KUBE_UNREACHABLE', hint: 'Check the VPN.' })), 'KUBE_UNREACHABLE', 'Check the VPN.'],
  ['the database server cannot be asked (its database would be stranded; --keep-db offered)', (b: MemoryBackend) => b.databases.script.fail('get', new Error('connection refused')), 'DB_UNREACHABLE', 'Or delete only the spark, keeping its database: spark delete far-fox --keep-db'],
] as const) {
  test(`refused when ${why}`, async () => {
    const backend = await withSpark('far-fox');
    breakIt(backend);
    const error = await refusal(deleteSpark(backend, 'far-fox', { keepDatabase: false }));
    assert.deepEqual([error.code, error.hint], [code, hint]);
    intact(backend, 'far-fox');
  });
}

test('refused when the database of that name is not the spark\'s; --force-db drops it', async () => {
  const backend = await withSpark('shared-name');
  strangerDatabase(backend, 'shared-name');
  const error = await refusal(deleteSpark(backend, 'shared-name', { keepDatabase: false }));
  assert.equal(error.code, 'DB_NOT_SPARKS');
  assert.match(error.message, /no spark in this namespace names it/);
  intact(backend, 'shared-name');
  const forced = await deleteSpark(backend, 'shared-name', { keepDatabase: false, forceDatabase: true });
  assert.deepEqual(forced.left, []);
  assert.equal(backend.databases.databases.has('shared-name'), false);
});

test('a local spark\'s refusal speaks of local sparks', async () => {
  const backend = await withSpark('here-hare', 'local');
  strangerDatabase(backend, 'here-hare');
  assert.match((await refusal(deleteSpark(backend, 'here-hare', { keepDatabase: false }))).message, /no local spark names it/);
});

test('objects that could not be removed keep the database until they are gone', async () => {
  const backend = await withSpark('stuck-swan');
  backend.runtime.script.fail('delete', new Error('forbidden'), 1);
  const outcome = await deleteSpark(backend, 'stuck-swan', { keepDatabase: false });
  assert.deepEqual(outcome.removed, []);
  assert.deepEqual(outcome.left, ['kubernetes objects: forbidden', "database stuck-swan: kept until the spark's cluster objects are gone (then run the delete again)"]);
  intact(backend, 'stuck-swan');
  const again = await deleteSpark(backend, 'stuck-swan', { keepDatabase: false });
  assert.deepEqual(again.left, []);
  assert.equal(backend.databases.databases.has('stuck-swan'), false);
});

test('--keep-db removes the objects and never asks the database server', async () => {
  const backend = await withSpark('keep-kite');
  backend.databases.script.fail('get', new Error('must not be asked'));
  const outcome = await deleteSpark(backend, 'keep-kite', { keepDatabase: true });
  assert.deepEqual(outcome.left, []);
  assert.equal(backend.runtime.sparks.has('keep-kite'), false);
  assert.ok(backend.databases.databases.has('keep-kite'));
});
