/** A fork's objects (`spark create NEW --from NAME`): pure manifests, its home volume a clone of NAME's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { SparkSpec } from '../../src/core/ports.js';
import { cloneDecision } from '../../src/runtimes/kubernetes/clone.js';
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

test('a fork clones its home only through a provisioner that can (CSI, same class); otherwise a fresh home, with the reason', () => {
  const claim = (provisioner: string | undefined, storageClassName = 'longhorn'): V1PersistentVolumeClaim => ({
    metadata: { name: 'brave-dolphin-storage', annotations: provisioner ? { 'volume.kubernetes.io/storage-provisioner': provisioner } : {} },
    spec: { storageClassName },
  });
  assert.deepEqual(cloneDecision(claim('driver.longhorn.io'), undefined), { clone: true });
  assert.deepEqual(cloneDecision(claim('driver.longhorn.io'), 'longhorn'), { clone: true });
  const cases: Array<[V1PersistentVolumeClaim | undefined, string | undefined, RegExp]> = [
    [claim('kubernetes.io/host-path'), undefined, /kubernetes\.io\/host-path cannot clone volumes \(only CSI drivers can\)/],
    [claim('rancher.io/local-path'), undefined, /rancher\.io\/local-path cannot clone/],
    [claim('driver.longhorn.io'), 'ceph-rbd', /storage class longhorn, not ceph-rbd/],
    [claim(undefined), undefined, /provisioner of its home volume is unknown/],
    [undefined, undefined, /has no home volume/],
  ];
  for (const [source, storageClass, why] of cases) {
    const decision = cloneDecision(source, storageClass);
    assert.equal(decision.clone, false);
    assert.match(decision.clone ? '' : decision.why, why);
  }
});
