import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSpark } from '../support/cli.js';

// Distinctive values: if any of them, or an encoded form, shows up in output, redaction failed.
const SECRETS = {
  POSTGRES_PASSWORD: 'pw-Zq8!@:/?#%é-UNIQUE',
  ANTHROPIC_API_KEY: 'sk-ant-fake.UNIQUE.ANTHROPIC.KEY',
  GITHUB_TOKEN: 'ghp_fake.UNIQUE.GITHUB.TOKEN',
};
const forms = (v: string) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64')];

function assertNoSecret(label: string, text: string): void {
  for (const [key, value] of Object.entries(SECRETS)) {
    for (const form of forms(value)) assert.ok(!text.includes(form), `${label}: ${key} leaked in\n${text}`);
  }
}

const home = mkdtempSync(join(tmpdir(), 'spark-secrets-'));
const configFile = join(home, 'config.json');
writeFileSync(configFile, JSON.stringify({ POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: '1' }));
const env = {
  ...SECRETS,
  HOME: home,
  SPARK_CONFIG: configFile,
  KUBECONFIG: join(home, 'no-kubeconfig'),
  SPARK_DATA_DIR: join(home, 'data'),
};

/** Every command a user can run, successful or failing; grows with the CLI. */
const invocations: string[][] = [
  ['config'],
  ['config', '--json'],
  ['--help'],
  ['no-such-command'],
  ['config', '--no-such-flag'],
];

for (const args of invocations) {
  test(`no secret in the output of: spark ${args.join(' ')}`, async () => {
    const result = await runSpark(args, { env });
    assertNoSecret(`stdout of ${args.join(' ')}`, result.stdout);
    assertNoSecret(`stderr of ${args.join(' ')}`, result.stderr);
  });
}

test('a secret inside a URL setting is masked even when spark does not know it', async () => {
  const result = await runSpark(['config', '--json'], { env: { ...env, SPARK_DOTFILES_REPO: 'https://me:tok-UNKNOWN-4242@git.example/dot.git' } });
  assert.equal(result.code, 0);
  assert.ok(!result.stdout.includes('tok-UNKNOWN-4242'));
  assert.match(result.stdout, /https:\/\/me:\*\*\*@git\.example\/dot\.git/);
});

test('config --json shows every value with its source and masks secrets', async () => {
  const result = await runSpark(['--json', 'config'], { env: { ...env, POSTGRES_USER: 'sparky' } });
  assert.equal(result.code, 0, result.stderr);
  const { settings } = JSON.parse(result.stdout) as { settings: Array<{ key: string; value: string | null; source: string }> };
  const byKey = Object.fromEntries(settings.map((s) => [s.key, s]));
  assert.deepEqual(byKey.POSTGRES_USER, { ...byKey.POSTGRES_USER, value: 'sparky', source: 'env' });
  assert.deepEqual(byKey.POSTGRES_HOST, { ...byKey.POSTGRES_HOST, value: '127.0.0.1', source: 'file' });
  assert.deepEqual(byKey.POSTGRES_DB, { ...byKey.POSTGRES_DB, value: 'homelab', source: 'default' });
  assert.equal(byKey.SPARK_DATABASE_HOST?.value, '127.0.0.1', 'SPARK_DATABASE_HOST follows POSTGRES_HOST');
  assert.equal(byKey.ANTHROPIC_API_KEY?.value, 'sk-ant-***');
  assert.equal(byKey.POSTGRES_PASSWORD?.value, '***');
  assert.equal(byKey.POSTGRES_PASSWORD?.source, 'env');
});

test('flags win over environment, environment over file', async () => {
  const result = await runSpark(['--json', '--namespace', 'dev', 'config'], { env: { ...env, SPARK_NAMESPACE: 'envns', POSTGRES_HOST: 'envhost' } });
  const { settings } = JSON.parse(result.stdout) as { settings: Array<{ key: string; value: string; source: string }> };
  const byKey = Object.fromEntries(settings.map((s) => [s.key, s]));
  assert.equal(byKey.SPARK_NAMESPACE?.value, 'dev');
  assert.equal(byKey.SPARK_NAMESPACE?.source, 'flag');
  assert.equal(byKey.POSTGRES_HOST?.value, 'envhost');
});

test('an invalid setting fails with the key, its source and the fix, exit 2', async () => {
  const result = await runSpark(['config'], { env: { ...env, POSTGRES_PORT: 'abc' } });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /POSTGRES_PORT="abc" \(from environment\) is invalid: must be a port number/);
  assert.match(result.stderr, /fix: /);
});

test('a broken config file names the file', async () => {
  const bad = join(home, 'bad.json');
  writeFileSync(bad, '{ not json');
  const result = await runSpark(['config', '--json'], { env: { ...env, SPARK_CONFIG: bad } });
  assert.equal(result.code, 1);
  const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
  assert.equal(error.code, 'CONFIG_INVALID');
  assert.ok(error.message.includes(bad));
});
