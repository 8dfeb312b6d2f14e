import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SPARK_ERROR_CODES, SparkError, interrupted, usageError } from '../../src/errors.js';

const srcFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? srcFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

test('the error codes are one closed set, each listed once and each used by some error', () => {
  assert.equal(new Set(SPARK_ERROR_CODES).size, SPARK_ERROR_CODES.length, 'no code is listed twice');
  const source = srcFiles('src').map((f) => readFileSync(f, 'utf8').replace(/export const SPARK_ERROR_CODES = \[[\s\S]*?\] as const;/, '')).join('\n');
  const unused = SPARK_ERROR_CODES.filter((code) => !source.includes(`'${code}'`));
  assert.deepEqual(unused, [], 'a code nothing raises is a promise to --json consumers nobody keeps');
});

test('exit codes: 1 by default, 2 for usage, 130 for an interrupt', () => {
  assert.equal(new SparkError('x').exitCode, 1);
  assert.equal(new SparkError('x').code, 'FAILED');
  assert.deepEqual([usageError('x').exitCode, usageError('x').code], [2, 'USAGE']);
  assert.deepEqual([interrupted('x').exitCode, interrupted('x').code], [130, 'INTERRUPTED']);
});
