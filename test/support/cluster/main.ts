/**
 * `npm run dev:cluster -- --kubeconfig PATH [--fake [fake options]]`
 *
 * Starts the real test control plane (scripts/cluster-binaries.sh builds it when missing), copies
 * its admin kubeconfig to PATH (context `spark-test`, namespace `spark`), says how long it took and
 * runs until SIGINT/SIGTERM. `--fake` starts the old fake API server instead (its options follow).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run dev:cluster -- --kubeconfig PATH [--fake [--port N] [--seed-sparks N] [--ready-delay-ms N] [--no-spark-namespace]]';

if (process.argv.includes('--fake')) {
  process.argv.splice(process.argv.indexOf('--fake'), 1);
  await import('../fake-kube/main.js');
} else {
  let args;
  try {
    args = parseArgs({ options: { kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
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
  const build = spawnSync(join(fileURLToPath(new URL('../../..', import.meta.url)), 'scripts/cluster-binaries.sh'), { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (build.status !== 0) process.exit(1);
  const { NODE_NAME, startControlPlane } = await import('./index.js');
  const started = Date.now();
  const plane = await startControlPlane({ binDir: build.stdout.trim() });
  const kubeconfig = resolve(args.kubeconfig);
  copyFileSync(plane.kubeconfig, kubeconfig);
  console.log(plane.server);
  console.error(
    `Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok node ${NODE_NAME}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${plane.server}; ` +
      `kubeconfig ${kubeconfig} (context spark-test, namespace spark); logs in ${plane.dir}; kubectl of that version: ${join(plane.binDir, 'kubectl')}. Ctrl-C stops it.`,
  );
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void plane.stop().then(() => process.exit(0));
    });
  }
}
