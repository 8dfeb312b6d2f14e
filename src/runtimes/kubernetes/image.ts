/**
 * The spark base image (deploy/image): building it with a local container engine, and telling
 * whether SPARK_IMAGE is it. Plain functions that build argv lists; the CLI runs them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../../core/ports.js';
import { SparkError, usageError } from '../../errors.js';

declare const SPARK_VERSION: string;
/** This spark's version (set by the bundle; from source, a dev version). */
export const CLI_VERSION = typeof SPARK_VERSION === 'string' ? SPARK_VERSION : '0.0.0-dev';

export const ENGINES = ['docker', 'podman', 'buildah'] as const;
export type Engine = (typeof ENGINES)[number];
/** The label setup.sh's Containerfile sets to the spark version (also org.opencontainers.image.version). */
export const VERSION_LABEL = 'dev.spark.image.version';
export const DEFAULT_IMAGE_NAME = 'spark-image';

/** Where the first of `names` on PATH is (its full path). */
export function whichOnPath(names: readonly string[], path = process.env.PATH ?? ''): string | undefined {
  for (const name of names) {
    for (const dir of path.split(delimiter)) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

/** The first of `names` on PATH. */
export function findOnPath(names: readonly string[], path?: string): string | undefined {
  const found = whichOnPath(names, path);
  return found && names.find((n) => found.endsWith(`/${n}`));
}

/** deploy/image, shipped in the npm package beside dist/ (or the source tree's). */
export function imageContextDir(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'deploy', 'image');
    if (existsSync(join(candidate, 'Containerfile'))) return candidate;
    dir = dirname(dir);
  }
  throw new SparkError('deploy/image/Containerfile is not where spark expects it (beside dist/ in the package).', { hint: 'Reinstall spark (npm install -g spark-cli), or build from a checkout: docker build -f deploy/image/Containerfile deploy/image' });
}

export interface BuildPlan {
  engine: Engine;
  tag: string;
  commands: string[][];
}

/** The commands `spark image build` runs. */
export function buildPlan(options: { engine?: string; tag?: string; push?: boolean; version: string; context: string; path?: string }): BuildPlan {
  if (options.engine !== undefined && !(ENGINES as readonly string[]).includes(options.engine)) {
    throw usageError(`--engine ${options.engine}: not one of ${ENGINES.join(', ')}.`, 'Use --engine docker, --engine podman or --engine buildah.');
  }
  const engine = (options.engine as Engine | undefined) ?? (findOnPath(ENGINES, options.path) as Engine | undefined);
  if (!engine) {
    throw new SparkError('No container engine found: spark image build needs docker, podman or buildah on PATH.', {
      hint: 'Install one (Debian: apt-get install podman), or build elsewhere from the same files: podman build -f deploy/image/Containerfile deploy/image',
    });
  }
  if (options.engine && !findOnPath([engine], options.path)) {
    throw new SparkError(`--engine ${engine}: ${engine} is not on PATH.`, { hint: `Install ${engine}, or leave out --engine to use the first of ${ENGINES.join(', ')} found.` });
  }
  if (options.push && !options.tag?.includes('/')) {
    throw usageError('--push needs --tag with your registry, e.g. --tag registry.example.com/spark-image:' + options.version, 'Give --tag REGISTRY/spark-image:VERSION with --push.');
  }
  const tag = options.tag ?? `${DEFAULT_IMAGE_NAME}:${options.version}`;
  const build = [engine, 'build', '--file', join(options.context, 'Containerfile'), '--build-arg', `SPARK_VERSION=${options.version}`, '--tag', tag, options.context];
  const commands = [build];
  if (options.push) commands.push([engine, 'push', tag]);
  return { engine, tag, commands };
}

/** Which images are plain Debian/Ubuntu, installing the spark tools at every start. */
const PLAIN = /^(docker\.io\/)?(library\/)?(debian|ubuntu)(:|@|$)/;

/**
 * Doctor: is SPARK_IMAGE the spark image? Asks a local engine for the version label when one has
 * the image; otherwise judges by the name.
 */
export function imageCheck(image: string, version: string, path = process.env.PATH): CheckResult {
  const title = 'SPARK_IMAGE is the spark image';
  const fix = `spark image build --tag REGISTRY/${DEFAULT_IMAGE_NAME}:${version} --push, then SPARK_IMAGE=REGISTRY/${DEFAULT_IMAGE_NAME}:${version} (environment, config file or the spark-cli-config Secret)`;
  const slow = 'a plain image installs openssh-server, git, gh, psql and Claude Code at every start: the first login takes ~25 s instead of ~1.5 s here, minutes on a cluster';
  // buildah has no `image inspect`: docker and podman only.
  const engine = whichOnPath(['docker', 'podman'], path);
  if (engine) {
    const r = spawnSync(engine, ['image', 'inspect', '--format', `{{ index .Config.Labels "${VERSION_LABEL}" }}`, image], { encoding: 'utf8', timeout: 3000 });
    const label = r.status === 0 ? r.stdout.trim().replace(/^<no value>$/, '') : undefined;
    if (label) {
      return label === version
        ? { id: 'image', title, status: 'ok', detail: `${image}: spark image ${label}` }
        : { id: 'image', title, status: 'warn', detail: `${image}: spark image ${label}, this spark is ${version}`, fix };
    }
    if (label === '') return { id: 'image', title, status: 'warn', detail: `${image} has no ${VERSION_LABEL} label: ${slow}`, fix };
  }
  if (PLAIN.test(image)) return { id: 'image', title, status: 'warn', detail: `${image} is a plain image: ${slow}`, fix };
  return { id: 'image', title, status: 'ok', detail: `${image}: labels not checked (no local engine has it); a spark logs "spark-step: packages" when it installs at start` };
}
