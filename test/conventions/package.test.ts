/**
 * The npm package as a user installs it: packed, installed globally into a temporary prefix (no
 * install-script warnings), and run from there; it ships the setup files its messages point at.
 * The bundle is self-contained: installing it fetches nothing (`--offline` fails if it would).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { capture } from '../support/capture.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown> & { version: string };
const work = mkdtempSync(join(tmpdir(), 'spark-package-'));
after(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) => capture('npm', args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false' }, timeoutMs: 300_000 });

test('npm pack, npm install -g into a prefix: no install-script warnings; spark runs and prints its setup files', async () => {
  // Packed from a copy that holds a filled-in deploy/secret.yaml, as an operator's clone does.
  const source = join(work, 'source');
  mkdirSync(source);
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'dist', 'deploy']) cpSync(join(repo, entry), join(source, entry), { recursive: true });
  writeFileSync(join(source, 'deploy', 'secret.yaml'), 'stringData:\n  POSTGRES_PASSWORD: operator-real-password\n');

  const packed = await npm(['pack', '--json', '--pack-destination', work], source);
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path);
  for (const file of ['README.md', 'LICENSE', 'package.json', 'dist/spark.cjs', 'dist/app.cjs', 'dist/kube-client.cjs', 'deploy/rbac.yaml', 'deploy/namespace.yaml', 'deploy/secret.yaml.template', 'deploy/load-env.sh']) {
    assert.ok(files.includes(file), `${file} is in the package`);
  }
  assert.ok(!files.includes('deploy/secret.yaml'), 'an operator\'s secret.yaml is never packed');
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')));
  assert.equal(pkg.license, 'MIT');
  assert.ok((pkg.keywords as string[]).includes('kubernetes'));
  assert.equal(pkg.dependencies, undefined, 'everything spark runs is in dist/: the package depends on nothing');

  const prefix = join(work, 'prefix');
  const installed = await npm(['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, info!.filename)], work);
  assert.equal(installed.code, 0, installed.stderr);
  assert.doesNotMatch(installed.stdout + installed.stderr, /install[- ]scripts?|allow-scripts|npm warn/i);

  const spark = join(prefix, 'bin', 'spark');
  const version = await capture(spark, ['--version'], { env: { PATH: process.env.PATH, HOME: work } });
  assert.equal(version.stdout, `${pkg.version}\n`);
  const help = await capture(spark, ['--help'], { env: { PATH: process.env.PATH, HOME: work } });
  assert.equal(help.code, 0, help.stderr);
  for (const command of ['create', 'list', 'status', 'shell', 'delete', 'doctor']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), `--help names ${command}`);
  // The installed bin keeps its code cache in ~/.cache/spark, and the next run (using it) says the same.
  assert.ok(readdirSync(join(work, '.cache', 'spark')).some((f) => f.startsWith('code-')), 'the code cache is in ~/.cache/spark');
  assert.deepEqual(await capture(spark, ['--help'], { env: { PATH: process.env.PATH, HOME: work } }), help);
  const rbac = await capture(spark, ['deploy', 'print', 'rbac.yaml'], { env: { PATH: process.env.PATH, HOME: work } });
  assert.equal(rbac.code, 0, rbac.stderr);
  assert.equal(rbac.stdout, readFileSync(join(repo, 'deploy', 'rbac.yaml'), 'utf8'));
  const list = await capture(spark, ['deploy', 'list'], { env: { PATH: process.env.PATH, HOME: work } });
  assert.ok(list.stdout.split('\n').includes('namespace.yaml'));
  assert.ok(!list.stdout.split('\n').includes('secret.yaml'));
});
