/** The one duration grammar (src/duration.ts) and the settings that use it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { parseDuration, readIdleTimeout } from '../../src/duration.js';
import { SparkError } from '../../src/errors.js';
import { describeExpiry, extendedExpiry } from '../../src/core/expiry.js';

test('durations: 30m, 2h, 7d, 1w, combinations and plain seconds', () => {
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.equal(parseDuration('1w'), 7 * 86_400_000);
  assert.equal(parseDuration('1d12h'), 36 * 3_600_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('90'), 90_000);
});

for (const [text, why] of [
  ['0', /longer than zero/],
  ['0s', /longer than zero/],
  ['0d0h', /longer than zero/],
  ['-2h', /cannot be negative/],
  ['2 hours', /not a duration/],
  ['2y', /not a duration/],
  ['', /not a duration/],
] as const) {
  test(`duration ${JSON.stringify(text)} is refused with the fix (exit 2)`, () => {
    assert.throws(
      () => parseDuration(text, '--ttl'),
      (e: unknown) => e instanceof SparkError && e.exitCode === 2 && e.message.startsWith(`Invalid --ttl ${JSON.stringify(text)}`) && why.test(e.message) && /30m, 2h or 7d/.test(e.hint ?? ''),
    );
  });
}

test('SPARK_IDLE_TIMEOUT: 0 means never; other zeros too; a duration otherwise', () => {
  assert.equal(readIdleTimeout('0'), undefined);
  assert.equal(readIdleTimeout('0h'), undefined);
  assert.equal(readIdleTimeout('2h'), 7_200_000);
  assert.deepEqual(readIdleTimeout('-1h'), { problem: 'a duration cannot be negative' });
});

const load = (env: Record<string, string>) => loadConfig({ env: { HOME: '/nonexistent', SPARK_CONFIG: '/nonexistent/config.json', ...env } });

test('SPARK_DEFAULT_TTL and SPARK_IDLE_TIMEOUT are validated when the configuration loads (exit 2, with an example)', async () => {
  const config = await load({});
  assert.equal(config.get('SPARK_IDLE_TIMEOUT'), '2h');
  assert.equal(config.sources.SPARK_IDLE_TIMEOUT, 'default');
  assert.equal(config.get('SPARK_DEFAULT_TTL'), undefined);
  assert.equal((await load({ SPARK_IDLE_TIMEOUT: '0', SPARK_DEFAULT_TTL: '7d' })).get('SPARK_DEFAULT_TTL'), '7d');
  await assert.rejects(load({ SPARK_DEFAULT_TTL: '0' }), (e: unknown) => e instanceof SparkError && e.exitCode === 2 && /SPARK_DEFAULT_TTL="0" \(from environment\) is invalid: a duration must be longer than zero/.test(e.message) && /SPARK_DEFAULT_TTL=7d/.test(e.hint ?? ''));
  await assert.rejects(load({ SPARK_IDLE_TIMEOUT: 'soon' }), (e: unknown) => e instanceof SparkError && e.exitCode === 2 && /SPARK_IDLE_TIMEOUT/.test(e.message) && /0 for never/.test(e.message));
});

test('extend: from the current expiry, or from now when that is past or missing', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const hour = 3_600_000;
  assert.equal(extendedExpiry('2026-01-01T15:00:00.000Z', now, 2 * hour), '2026-01-01T17:00:00.000Z', 'a future expiry moves back by DUR');
  assert.equal(extendedExpiry('2026-01-01T10:00:00.000Z', now, 2 * hour), '2026-01-01T14:00:00.000Z', 'an expired spark gets DUR from now');
  assert.equal(extendedExpiry(undefined, now, 2 * hour), '2026-01-01T14:00:00.000Z', 'no expiry: now + DUR');
});

test('EXPIRES reads "in 3h", "expired 10m ago" or "—"', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.equal(describeExpiry('2026-01-01T15:00:00Z', now), 'in 3h');
  assert.equal(describeExpiry('2026-01-01T11:50:00Z', now), 'expired 10m ago');
  assert.equal(describeExpiry('2026-01-08T12:00:00Z', now), 'in 7d');
  assert.equal(describeExpiry(null, now), '—');
});
