import type { Command } from 'commander';
import { SparkError } from '../../errors.js';
import { contextFor } from '../context.js';

interface BuildFlags {
  tag?: string;
  push?: boolean;
  engine?: string;
}

/** `spark image build`: the spark base image (deploy/image) with a local container engine. */
export function register(program: Command): void {
  const image = program.command('image').description('the spark base image (SPARK_IMAGE): sshd, git, gh, psql and Claude Code ready at start');
  image
    .command('build')
    .description('build deploy/image with docker, podman or buildah (the first found), optionally push it')
    .option('--tag <ref>', 'image reference (default spark-image:VERSION); with --push, include your registry')
    .option('--push', 'push the image after building it')
    .option('--engine <engine>', 'docker, podman or buildah (default: the first on PATH)')
    .action(async (flags: BuildFlags, command: Command) => {
      const { ui } = contextFor(command);
      const { CLI_VERSION: version, buildPlan, imageContextDir } = await import('../../runtimes/kubernetes/image.js');
      const plan = buildPlan({ ...flags, version, context: imageContextDir() });
      const { spawn } = await import('node:child_process');
      for (const argv of plan.commands) {
        ui.info(`$ ${argv.join(' ')}`);
        // The engine's own output goes to stderr: stdout stays for the result (--json).
        const code = await new Promise<number>((resolve, reject) => {
          const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', process.stderr, process.stderr] });
          child.on('error', reject);
          child.on('exit', (c, signal) => resolve(signal === 'SIGINT' ? 130 : (c ?? 1)));
        });
        if (code === 130) throw new SparkError(`${argv[0]} ${argv[1]} was interrupted.`, { code: 'INTERRUPTED' });
        if (code !== 0) {
          throw new SparkError(`${argv.slice(0, 2).join(' ')} failed (exit ${code}).`, {
            hint: argv[1] === 'push'
              ? `Log in to the registry first (${plan.engine} login REGISTRY), then run the same command again.`
              : `See ${plan.engine}'s output above. If its daemon or service is not running, start it, or pick another engine: --engine podman|buildah|docker.`,
          });
        }
      }
      const pushed = Boolean(flags.push);
      ui.result({ image: plan.tag, engine: plan.engine, pushed, version }, () =>
        [
          `Built ${plan.tag} (spark image ${version}) with ${plan.engine}${pushed ? ', pushed' : ''}.`,
          `Use it for new sparks: export SPARK_IMAGE=${plan.tag}   (or set SPARK_IMAGE in your spark config file or the spark-cli-config Secret)`,
          ...(pushed ? [] : ['A cluster pulls images from a registry: rebuild with --tag REGISTRY/spark-image:' + version + ' --push.']),
        ].join('\n'),
      );
    });
  for (const command of image.commands) command.exitOverride().showSuggestionAfterError(true);
}
