import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SPARK_BIN, runSpark } from '../support/cli.js';

test('--version prints the package version and exits 0', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const result = await runSpark(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), pkg.version);
});

test('--help lists the commands and exits 0', async () => {
  const result = await runSpark(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /config/);
  assert.match(result.stdout, /--json/);
});

test('a reader that stops early (spark … | head) is no error: no stack trace, exit 0', async () => {
  const child = spawn(process.execPath, [SPARK_BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // the reader is gone before spark writes a byte
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('an unknown command is a usage error (exit 2) with a suggestion', async () => {
  const result = await runSpark(['confgi']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Did you mean config\?/);
});

test('create with an invalid name is a usage error before anything else is said or done', async () => {
  const result = await runSpark(['create', 'Bad_Name', '--no-shell', '--runtime', 'local']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: Invalid spark name "Bad_Name"/);
  assert.match(result.stderr, /fix: Use a DNS-1123 label/);
});

test('an unknown flag is a usage error (exit 2)', async () => {
  const result = await runSpark(['config', '--frobnicate']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown option '--frobnicate'/);
});

test('the start-up path loads neither the Kubernetes client nor the PostgreSQL driver', () => {
  // The bin (dist/spark.cjs) is the launcher alone (and its code cache); the app bundle evaluates a module only when a
  // static import reaches it from src/cli/main.ts (esbuild wraps the rest and runs it at import()).
  // So heavy packages may only sit behind import(); the typed client is not in the bundle at all.
  const meta = JSON.parse(readFileSync(fileURLToPath(new URL('../../dist/meta.json', import.meta.url)), 'utf8')) as {
    inputs: Record<string, { imports: Array<{ path: string; kind: string }> }>;
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  assert.deepEqual(Object.keys(meta.outputs['dist/spark.cjs']!.inputs).sort(), ['src/cli/code-cache.ts', 'src/cli/launcher.ts'], 'the bin is the launcher and its code cache alone');
  const app = Object.keys(meta.outputs['dist/app.cjs']!.inputs);
  assert.deepEqual(app.filter((i) => i.includes('node_modules/@kubernetes/')), [], 'the typed client is a file of its own');
  assert.ok(Object.keys(meta.outputs['dist/kube-client.cjs']!.inputs).some((i) => i.includes('node_modules/@kubernetes/client-node/')));
  const seen = new Set<string>();
  const queue = ['src/cli/main.ts'];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imp of meta.inputs[file]?.imports ?? []) if (imp.kind === 'import-statement' || imp.kind === 'require-call') queue.push(imp.path);
  }
  assert.ok(seen.has('src/cli/commands/lifecycle.ts'), 'the walk follows the static imports');
  assert.ok([...seen].some((i) => i.includes('node_modules/commander/')), 'the walk reaches packages');
  assert.ok(app.some((i) => /node_modules\/pg\//.test(i)) && app.some((i) => /node_modules\/zod\//.test(i)), 'pg and zod are in the bundle, so the check below can fail');
  const heavy = [...seen].filter((i) => /node_modules\/(@kubernetes|pg|pg-[a-z]+|ora|zod)\//.test(i));
  assert.deepEqual(heavy, []);
});
