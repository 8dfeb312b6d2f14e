/**
 * When configuration asks the spark-cli-config Secret (src/config/index.ts, LoadOptions.needs): a
 * command that declares the settings it reads asks it only when one of those is not given by a
 * flag, the environment or the file; a value only in the Secret is still found; a default never
 * stands in for the Secret. The black-box side (the requests spark list makes on the real control
 * plane) is test/k8s/config-needs.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CONNECTION_KEYS, loadConfig, type ConfigValues } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'spark-config-needs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const connection = { POSTGRES_HOST: 'db.example', POSTGRES_PORT: '5433', POSTGRES_USER: 'spark', POSTGRES_PASSWORD: 'local-Pa55', POSTGRES_DB: 'homelab', POSTGRES_SSLMODE: 'disable' };

/** loadConfig with this environment (no config file) and a Secret that counts how often it is read. */
async function load(env: Record<string, string>, secret: ConfigValues, needs?: typeof CONNECTION_KEYS) {
  let reads = 0;
  const config = await loadConfig({
    env: { HOME: dir, SPARK_CONFIG: join(dir, 'absent.json'), ...env },
    needs,
    clusterSecret: async () => {
      reads++;
      return secret;
    },
  });
  return { config, reads };
}

test('every connection setting given locally: the Secret is not read, though other settings are missing', async () => {
  const { config, reads } = await load(connection, { GITHUB_TOKEN: 'ghp_fromSecret', SPARK_IMAGE: 'ghcr.io/x/from-secret:1' }, CONNECTION_KEYS);
  assert.equal(reads, 0);
  assert.equal(config.get('POSTGRES_PASSWORD'), 'local-Pa55');
  assert.equal(config.sources.POSTGRES_PASSWORD, 'env');
  // What was not read falls back to the defaults, as it would without a Secret.
  assert.equal(config.get('SPARK_IMAGE'), 'debian:bookworm');
  assert.equal(config.get('GITHUB_TOKEN'), undefined);
});

test('a needed setting only in the Secret: read once, and the value found there', async () => {
  const { POSTGRES_PASSWORD: _, ...withoutPassword } = connection;
  const { config, reads } = await load(withoutPassword, { POSTGRES_PASSWORD: 'secret-Pa55' }, CONNECTION_KEYS);
  assert.equal(reads, 1);
  assert.equal(config.get('POSTGRES_PASSWORD'), 'secret-Pa55');
  assert.equal(config.sources.POSTGRES_PASSWORD, 'cluster-secret');
  assert.equal(config.sources.POSTGRES_HOST, 'env', 'what was given locally still wins');
});

test('a needed setting with a default, not given locally: the Secret is read and its value beats the default', async () => {
  const { POSTGRES_HOST: _, ...withoutHost } = connection;
  const { config, reads } = await load(withoutHost, { POSTGRES_HOST: 'postgres.from-secret' }, CONNECTION_KEYS);
  assert.equal(reads, 1);
  assert.equal(config.get('POSTGRES_HOST'), 'postgres.from-secret');
  assert.equal(config.sources.POSTGRES_HOST, 'cluster-secret');
});

test('a command that declares nothing: the Secret is read whenever a setting without a default is missing', async () => {
  const { config, reads } = await load(connection, { GITHUB_TOKEN: 'ghp_fromSecret' });
  assert.equal(reads, 1);
  assert.equal(config.get('GITHUB_TOKEN'), 'ghp_fromSecret');
  assert.equal(config.sources.GITHUB_TOKEN, 'cluster-secret');
});
