import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateName, MAX_NAME_LENGTH, nameProblem, validateName } from '../../src/names/index.js';
import { ADJECTIVES, NOUNS } from '../../src/names/words.js';
import { SparkError } from '../../src/errors.js';
import { pvcName, serviceName, tailnetHostname } from '../../src/runtimes/kubernetes/labels.js';

test('generated names are valid adjective-noun pairs', () => {
  for (let i = 0; i < 500; i++) {
    const name = generateName();
    assert.equal(nameProblem(name), undefined, name);
    const [adjective, noun] = name.split('-');
    assert.ok((ADJECTIVES as readonly string[]).includes(adjective!), name);
    assert.ok((NOUNS as readonly string[]).includes(noun!), name);
  }
});

test('word lists are large, unique and DNS-safe', () => {
  assert.ok(ADJECTIVES.length >= 100 && NOUNS.length >= 100);
  assert.equal(new Set(ADJECTIVES).size, ADJECTIVES.length);
  assert.equal(new Set(NOUNS).size, NOUNS.length);
  for (const word of [...ADJECTIVES, ...NOUNS]) assert.match(word, /^[a-z]+$/);
});

test('the longest name still fits every derived Kubernetes name', () => {
  const name = `a${'b'.repeat(MAX_NAME_LENGTH - 1)}`;
  assert.equal(validateName(name), name);
  // Tailnet hostname and Service name are DNS labels (63); PVC, ConfigMap and Secret names are subdomains (253).
  assert.ok(tailnetHostname(name).length <= 63);
  assert.ok(serviceName(name).length <= 63);
  assert.ok(pvcName(name).length <= 253);
});

const invalid: Array<[string, RegExp]> = [
  ['', /empty/],
  ['Brave-Dolphin', /uppercase/],
  ['brave_dolphin', /only lowercase letters, digits/],
  ['brave"; drop database x; --', /only lowercase letters, digits/],
  ['1brave', /start with a letter/],
  ['brave-', /end with/],
  ['a'.repeat(MAX_NAME_LENGTH + 1), /58 characters long; the limit is 57/],
];
for (const [name, why] of invalid) {
  test(`rejects ${JSON.stringify(name.slice(0, 20))} saying which rule failed`, () => {
    assert.throws(() => validateName(name), (error: unknown) => {
      assert.ok(error instanceof SparkError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, why);
      assert.ok(error.hint);
      return true;
    });
  });
}
