import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskSecret, redact, registerSecret } from '../../src/redact.js';

test('registered secrets are masked in plain, URL-encoded and base64 form', () => {
  const secret = 'p@ss:w/rd?#%é-unique-1';
  registerSecret(secret);
  const text = `a ${secret} b ${encodeURIComponent(secret)} c ${Buffer.from(secret).toString('base64')}`;
  const out = redact(text);
  assert.ok(!out.includes(secret) && !out.includes(encodeURIComponent(secret)) && !out.includes(Buffer.from(secret).toString('base64')), out);
  assert.equal(out, 'a *** b *** c ***');
});

test('passwords in URLs and conninfo strings are masked even when unknown', () => {
  assert.equal(redact('postgresql://spark:s3cr3t@db:5432/x?sslmode=disable'), 'postgresql://spark:***@db:5432/x?sslmode=disable');
  assert.equal(redact('host=db password=s3cr3t user=spark'), 'host=db password=*** user=spark');
  assert.equal(redact('https://github.com/me/repo.git'), 'https://github.com/me/repo.git');
});

test('maskSecret keeps only a recognisable prefix', () => {
  assert.equal(maskSecret('sk-ant-api03-abcdef'), 'sk-ant-***');
  assert.equal(maskSecret('ghp_abcdefghijkl'), 'ghp_***');
  assert.equal(maskSecret('hunter2hunter2'), '***');
});
