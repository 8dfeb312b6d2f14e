/**
 * `spark image build` against stand-in engines on PATH that record their argv (this machine has
 * no container engine), and doctor's image check.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { imageCheck } from '../../src/runtimes/kubernetes/image.js';
import { runSpark } from '../support/cli.js';
import { REPO } from '../support/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'spark-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const context = join(REPO, 'deploy/image');

/** A directory holding stand-ins for `engines`, each appending its argv (one line) to LOG; `failing` exit 3. */
function engines(name: string, names: string[], failing: string[] = []): { bin: string; log: string } {
  const bin = join(dir, name);
  mkdirSync(bin);
  const log = join(dir, `${name}.log`);
  for (const engine of names) {
    writeFileSync(join(bin, engine), `#!/bin/sh\necho "${engine} $*" >>"${log}"\necho "${engine} output"\n${failing.includes(engine) ? 'exit 3\n' : ''}`);
    chmodSync(join(bin, engine), 0o755);
  }
  return { bin, log };
}
const lines = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

test('builds deploy/image with the first engine found (docker before podman), tagged with the version; says how to set SPARK_IMAGE', async () => {
  const { bin, log } = engines('first', ['podman', 'docker']);
  const r = await runSpark(['image', 'build'], { env: { PATH: bin } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(log), [`docker build --file ${context}/Containerfile --build-arg SPARK_VERSION=${version} --tag spark-image:${version} ${context}`]);
  assert.match(r.stdout, new RegExp(`export SPARK_IMAGE=spark-image:${version}`));
  assert.match(r.stderr, /docker output/, "the engine's output is shown (on stderr)");
});

test('--engine buildah --tag REGISTRY/... --push builds then pushes; --json reports it', async () => {
  const { bin, log } = engines('push', ['docker', 'podman', 'buildah']);
  const tag = 'registry.example.test/team/spark-image:1';
  const r = await runSpark(['image', 'build', '--engine', 'buildah', '--tag', tag, '--push', '--json'], { env: { PATH: bin } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(log), [`buildah build --file ${context}/Containerfile --build-arg SPARK_VERSION=${version} --tag ${tag} ${context}`, `buildah push ${tag}`]);
  assert.deepEqual(JSON.parse(r.stdout), { image: tag, engine: 'buildah', pushed: true, version });
});

test('no engine on PATH: a clear error with the fix, exit 1', async () => {
  const r = await runSpark(['image', 'build'], { env: { PATH: join(dir, 'empty') } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No container engine found: spark image build needs docker, podman or buildah/);
  assert.match(r.stderr, /fix: .*apt-get install podman/);
});

test('--push without a registry in --tag, or an unknown --engine, is a usage error (exit 2) that runs nothing', async () => {
  const { bin, log } = engines('usage', ['docker']);
  const push = await runSpark(['image', 'build', '--push'], { env: { PATH: bin } });
  assert.equal(push.code, 2);
  assert.match(push.stderr, /--push needs --tag with your registry/);
  const engine = await runSpark(['image', 'build', '--engine', 'kaniko'], { env: { PATH: bin } });
  assert.equal(engine.code, 2);
  assert.match(engine.stderr, /not one of docker, podman, buildah/);
  assert.deepEqual(lines(log), []);
});

test('a failing engine (e.g. docker without its daemon): exit 1, and the fix names the other engines', async () => {
  const { bin } = engines('failing', ['docker'], ['docker']);
  const r = await runSpark(['image', 'build'], { env: { PATH: bin } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /docker build failed \(exit 3\)/);
  assert.match(r.stderr, /--engine podman\|buildah/);
});

test('the npm package ships the Containerfile and setup.sh, and the Containerfile only runs setup.sh', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ files: Array<{ path: string }> }>;
  const files = packed[0]!.files.map((f) => f.path);
  assert.ok(files.includes('deploy/image/Containerfile') && files.includes('deploy/image/setup.sh'), files.join(' '));
  assert.ok(!files.includes('deploy/secret.yaml'), 'no Secret file in the package');
  const containerfile = readFileSync(join(context, 'Containerfile'), 'utf8');
  assert.match(containerfile, /^FROM debian:bookworm$/m);
  assert.deepEqual(containerfile.match(/^(RUN|COPY) .*/gm), ['COPY setup.sh /setup.sh', 'RUN SPARK_VERSION="${SPARK_VERSION}" /bin/bash /setup.sh && rm -f /setup.sh']);
  assert.match(containerfile, /org\.opencontainers\.image\.version="\$\{SPARK_VERSION\}"/);
});

test("doctor's image check: the spark image by its label, a plain image by its label or name", () => {
  const bin = join(dir, 'inspect');
  mkdirSync(bin);
  const answer = join(dir, 'label');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\n[ "$1 $2" = "image inspect" ] || exit 9\ncat "${answer}"\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  writeFileSync(answer, `${version}\n`);
  const labelled = imageCheck('reg.example.test/spark-image:1', version, bin);
  assert.equal(labelled.status, 'ok');
  assert.match(labelled.detail!, new RegExp(`spark image ${version.replace(/\./g, '\\.')}$`));
  writeFileSync(answer, '0.0.1\n');
  assert.match(imageCheck('reg.example.test/spark-image:1', version, bin).detail!, /spark image 0\.0\.1, this spark is/);
  writeFileSync(answer, '<no value>\n');
  const unlabelled = imageCheck('my/custom:1', version, bin);
  assert.equal(unlabelled.status, 'warn');
  assert.match(unlabelled.detail!, /no dev\.spark\.image\.version label: a plain image installs .* at every start/);
  // No engine here: judged by name.
  const plain = imageCheck('debian:bookworm', version, join(dir, 'empty'));
  assert.equal(plain.status, 'warn');
  assert.match(plain.fix!, /spark image build --tag REGISTRY\/spark-image/);
  assert.equal(imageCheck('reg.example.test/other:2', version, join(dir, 'empty')).status, 'ok');
});
