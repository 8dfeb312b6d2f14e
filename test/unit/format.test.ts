import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/cli/duration.js';
import { age, bytes } from '../../src/cli/actions/format.js';
import { SparkError } from '../../src/errors.js';

test('durations: units, combinations and plain seconds', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('45'), 45_000);
  assert.equal(parseDuration('250ms'), 250);
});

for (const bad of ['', 'five', '5x', '-1s', '5m later']) {
  test(`duration ${JSON.stringify(bad)} is a usage error`, () => {
    assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof SparkError && e.exitCode === 2);
  });
}

test('ages read like kubectl', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  assert.equal(age('2026-01-01T23:59:30Z', now), '30s');
  assert.equal(age('2026-01-01T23:00:00Z', now), '1h');
  assert.equal(age('2025-12-30T00:00:00Z', now), '3d');
  assert.equal(age(null, now), '');
});

test('sizes are human', () => {
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(7_500_000), '7.2 MB');
  assert.equal(bytes(20 * 1024 ** 3), '20 GB');
});
