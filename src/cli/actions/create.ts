import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { createSpark } from '../../core/create.js';
import { testConfiguration } from '../../core/checks.js';
import type { RuntimeKind } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import { validateName } from '../../names/index.js';
import { configChecks, openBackend, requireRuntime } from '../../backends.js';
import { runAttached } from '../attached.js';
import type { Context } from '../context.js';
import { renderChecks } from './render.js';

export interface CreateRequest {
  name?: string;
  repo?: string;
  runtime?: RuntimeKind;
  openShell: boolean;
  timeoutMs: number;
}

export async function createCommand(ctx: Context, request: CreateRequest): Promise<void> {
  const { ui } = ctx;
  // A wrong name is a usage error: say so before any other talk.
  if (request.name !== undefined) validateName(request.name);
  const config = await ctx.config({ SPARK_RUNTIME: request.runtime });
  const kind = await requireRuntime(config);
  const sshPublicKey = await readPublicKey(config.require('SSH_PUBLIC_KEY_PATH'), kind);
  if (!config.get('ANTHROPIC_API_KEY')) ui.warn('ANTHROPIC_API_KEY is not set: Claude Code in the spark will ask you to log in.');

  const backend = await openBackend(kind, config);
  const controller = new AbortController();
  let name = request.name;
  let interrupts = 0;
  const onInterrupt = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      ui.info('\nInterrupted: removing what was made (press Ctrl-C again to stop the cleanup)…');
      controller.abort();
      return;
    }
    process.stderr.write(`\nCleanup stopped. Parts of the spark may be left; remove them with: spark delete ${name ?? '<name>'} --yes\n`);
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  const step = await ui.step(`Creating spark${name ? ` ${name}` : ''}`);
  try {
    const result = await createSpark(
      backend,
      {
        name,
        repo: request.repo,
        timeoutMs: request.timeoutMs,
        isolation: config.get('SPARK_DB_ISOLATION') === 'role' ? 'role' : 'shared',
        creator: `${userInfo().username}@${hostname()}`,
        sshPublicKey,
        anthropicApiKey: config.get('ANTHROPIC_API_KEY'),
        githubToken: config.get('GITHUB_TOKEN'),
        dotfilesRepo: config.get('SPARK_DOTFILES_REPO'),
      },
      {
        signal: controller.signal,
        onNamed: (n) => (name = n),
        onProgress: (e) => step.update(e.detail ? `${e.step}: ${e.detail}` : e.step),
      },
    );
    step.succeed(`Spark ${result.name} is ready`);
    const { spark } = result;
    const data = { name: result.name, runtime: kind, database: result.database, state: spark.state, ssh: spark.ssh ?? null, host: spark.host ?? null, repo: request.repo ?? null };
    ui.result(data, () =>
      [
        `${ui.bold('name')}      ${result.name}`,
        `${ui.bold('database')}  ${result.database}`,
        kind === 'local' ? `${ui.bold('shell')}     spark shell ${result.name}` : `${ui.bold('ssh')}       ${spark.ssh ?? `ssh user@spark-${result.name}`}${spark.host ? ` (${spark.host})` : ''}`,
        request.repo ? `${ui.bold('repo')}      ${request.repo}` : '',
      ].filter(Boolean).join('\n'),
    );
    if (!request.openShell || ui.json) return;
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    process.exitCode = await runAttached(await backend.runtime.shell(result.name, []));
  } catch (error) {
    step.fail(name ? `Spark ${name} was not created` : 'Spark was not created');
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await backend.close();
  }
}

async function readPublicKey(path: string, kind: RuntimeKind): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    if (kind === 'local') return undefined;
    throw new SparkError(`No SSH public key at ${path}: the spark would accept no login.`, {
      hint: `Create one with: ssh-keygen -t ed25519   (or point SSH_PUBLIC_KEY_PATH at your public key)`,
      code: 'SSH_KEY_MISSING',
    });
  }
}

export async function testCommand(ctx: Context, request: { runtime?: RuntimeKind }): Promise<void> {
  const config = await ctx.config({ SPARK_RUNTIME: request.runtime });
  const kind = await requireRuntime(config);
  const backend = await openBackend(kind, config);
  try {
    const result = await testConfiguration(backend, await configChecks(config, kind));
    renderChecks(ctx.ui, result);
  } finally {
    await backend.close();
  }
}
