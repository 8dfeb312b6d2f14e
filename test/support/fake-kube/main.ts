/**
 * `npm run dev:cluster -- --kubeconfig PATH [--port N] [--seed-sparks N] [--ready-delay-ms N] [--no-spark-namespace]`
 *
 * Starts the fake API server standalone, writes a kubeconfig for it (context `fake`, namespace
 * `spark`), prints the URL and runs until SIGINT/SIGTERM. For manual trials and benchmarks.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { goSparkObjects, startFakeCluster } from './index.js';

const USAGE = 'usage: npm run dev:cluster -- --kubeconfig PATH [--port N] [--seed-sparks N] [--ready-delay-ms N] [--no-spark-namespace]';

function integer(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${flag} must be a non-negative integer, got "${value}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string' },
      'seed-sparks': { type: 'string' },
      'ready-delay-ms': { type: 'string' },
      'no-spark-namespace': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.kubeconfig) {
  console.error(`--kubeconfig is required\n${USAGE}`);
  process.exit(2);
}

const sparks = integer(args['seed-sparks'], '--seed-sparks', 0);
const cluster = await startFakeCluster({
  port: integer(args.port, '--port', 0),
  readyDelayMs: integer(args['ready-delay-ms'], '--ready-delay-ms', 0),
  sparkNamespace: !args['no-spark-namespace'],
});
const kubeconfig = cluster.writeKubeconfig(resolve(args.kubeconfig));
if (sparks > 0) {
  const width = String(sparks).length;
  const objects = [];
  for (let i = 0; i < sparks; i++) objects.push(...goSparkObjects(`spark-${String(i).padStart(width, '0')}`, { withConfig: true }));
  cluster.seed(objects);
  await cluster.idle();
}
console.log(cluster.url);
console.error(`fake Kubernetes API server at ${cluster.url}; kubeconfig ${kubeconfig} (context fake, namespace spark)${sparks ? `; ${sparks} sparks seeded` : ''}. Ctrl-C stops it.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void cluster.stop().then(() => process.exit(0));
  });
}
