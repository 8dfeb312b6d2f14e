/** A fork's objects (`spark create NEW --from NAME`): pure manifests, its home volume a clone of NAME's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { SparkSpec } from '../../src/core/ports.js';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';

const spec: SparkSpec = {
  name: 'wise-falcon',
  databaseName: 'wise-falcon',
  databaseUrl: 'postgresql://spark:pw@postgres.example:5432/wise-falcon?sslmode=disable',
  isolation: 'shared',
  createdAt: '2025-01-02T03:04:05.000Z',
  creator: 'alice@laptop',
};

test('a fork\'s home PVC names its source\'s PVC as dataSource (a clone); a plain spark\'s has none', () => {
  const fork = sparkManifests({ ...spec, from: 'brave-dolphin' }, { ...DEFAULT_MANIFEST_OPTIONS, namespace: 'spark' }).pvc;
  assert.deepEqual(fork.spec?.dataSource, { kind: 'PersistentVolumeClaim', name: 'brave-dolphin-storage' });
  new PersistentVolumeClaim(fork as ConstructorParameters<typeof PersistentVolumeClaim>[0]).validate();
  const plain = sparkManifests(spec, { ...DEFAULT_MANIFEST_OPTIONS, namespace: 'spark' }).pvc;
  assert.equal(plain.spec?.dataSource, undefined);
  assert.deepEqual(sparkManifests({ ...spec, from: 'brave-dolphin' }, { ...DEFAULT_MANIFEST_OPTIONS, namespace: 'spark' }), sparkManifests({ ...spec, from: 'brave-dolphin' }, { ...DEFAULT_MANIFEST_OPTIONS, namespace: 'spark' }), 'pure: same input, same objects');
});
