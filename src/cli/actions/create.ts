import { hostname, userInfo } from 'node:os';
import { validateSnapshotId, validateTemplateName } from '../../core/branches.js';
import { createSpark } from '../../core/create.js';
import { testConfiguration } from '../../core/checks.js';
import type { RuntimeKind } from '../../core/ports.js';
import { repoKind, repoProblem } from '../../config/inputs.js';
import { requirePublicKeys } from '../../config/ssh-key.js';
import { usageError } from '../../errors.js';
import type { Config } from '../../config/index.js';
import { describeExpiry } from '../../core/expiry.js';
import { parseDuration } from '../../duration.js';
import { validateName } from '../../names/index.js';
import { configChecks, openBackend, requireRuntime, reservedNames } from '../../backends.js';
import { runtimeEntry } from '../../runtimes/registry.js';
import { termsOf } from '../../core/runtime-terms.js';
import { runAttached } from '../attached.js';
import type { Context } from '../context.js';
import { updateNames } from '../name-cache.js';
import { printable } from '../printable.js';
import { renderChecks } from './render.js';

export interface CreateRequest {
  name?: string;
  repo?: string;
  runtime?: RuntimeKind;
  openShell: boolean;
  timeoutMs: number;
  /** --ttl; without it SPARK_DEFAULT_TTL applies. */
  ttlMs?: number;
  from?: string;
  snapshot?: string;
  dbTemplate?: string;
}

export async function createCommand(ctx: Context, request: CreateRequest): Promise<void> {
  const { ui } = ctx;
  // A wrong name is a usage error: say so before any other talk.
  if (request.name !== undefined) validateName(request.name);
  if (request.repo !== undefined) checkRepo(request.repo, true);
  checkCopySource(request);
  const config = await ctx.config({ SPARK_RUNTIME: request.runtime, SPARK_DB_TEMPLATE: request.dbTemplate });
  const dbTemplate = request.from ? undefined : config.get('SPARK_DB_TEMPLATE');
  if (request.name !== undefined) validateName(request.name, reservedNames(config));
  const kind = await requireRuntime(config);
  const runtime = runtimeEntry(kind);
  if (request.repo !== undefined) checkRepo(request.repo, runtime.clonesLocalPaths);
  // The key is copied into the spark's ConfigMap: only checked public key lines, and only where it is used.
  const sshPublicKey = runtime.needsSshKey ? (await requirePublicKeys(config.require('SSH_PUBLIC_KEY_PATH'))).text : undefined;
  if (!config.get('ANTHROPIC_API_KEY') && !ui.options.quiet) ui.warn('ANTHROPIC_API_KEY is not set: Claude Code in the spark will ask you to log in.');

  const ttlMs = request.ttlMs ?? defaultTtl(config, kind, ui);

  const backend = await openBackend(kind, config);
  // First Ctrl-C (or SIGTERM): stop and remove what was made. Second: stop the cleanup too; the
  // error then says what is left. The process exits in main, once the command has returned.
  const interrupt = new AbortController();
  const stopCleanup = new AbortController();
  let name = request.name;
  const onInterrupt = (): void => {
    if (interrupt.signal.aborted) {
      stopCleanup.abort();
      return;
    }
    ui.info('\nInterrupted: removing what was made (press Ctrl-C again to stop the cleanup)…');
    interrupt.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  let homeNote: string | undefined;
  const step = await ui.step(`Creating spark${name ? ` ${name}` : ''}`);
  try {
    const result = await createSpark(
      backend,
      {
        name,
        repo: request.repo,
        timeoutMs: request.timeoutMs,
        ttlMs,
        isolation: config.get('SPARK_DB_ISOLATION') === 'role' ? 'role' : 'shared',
        creator: `${userInfo().username}@${hostname()}`,
        sshPublicKey,
        anthropicApiKey: config.get('ANTHROPIC_API_KEY'),
        githubToken: config.get('GITHUB_TOKEN'),
        dotfilesRepo: config.get('SPARK_DOTFILES_REPO'),
        ...(request.from ? { from: { spark: request.from, ...(request.snapshot ? { snapshot: request.snapshot } : {}) } } : {}),
        ...(dbTemplate ? { dbTemplate } : {}),
      },
      {
        signal: interrupt.signal,
        cleanupSignal: stopCleanup.signal,
        onNamed: (n) => (name = n),
        onProgress: (e) => {
          // A fork whose home could not be a clone: said again once the spinner is gone.
          if (e.step === 'Home volume' && e.detail?.startsWith('fresh')) homeNote = e.detail;
          step.update(e.detail ? `${e.step}: ${e.detail}` : e.step);
        },
      },
    );
    step.succeed(`Spark ${result.name} is ready`);
    if (homeNote) ui.warn(`home volume: ${homeNote}`);
    updateNames([result.name]);
    const { spark } = result;
    const data = { name: result.name, runtime: kind, database: result.database, state: spark.state, ssh: spark.ssh ?? null, host: spark.host ?? null, repo: result.repo ?? null, expiresAt: result.expiresAt ?? null, ...(request.from ? { from: request.from, snapshot: request.snapshot ?? null } : {}), ...(dbTemplate ? { dbTemplate } : {}) };
    const connect = runtime.connectHint({ name: result.name, ssh: spark.ssh });
    ui.result(data, () =>
      [
        `${ui.bold('name')}      ${result.name}`,
        `${ui.bold('database')}  ${result.database}`,
        `${ui.bold(connect.via)}${' '.repeat(10 - connect.via.length)}${printable(connect.command)}${spark.host ? ` (${printable(spark.host)})` : ''}`,
        result.repo ? `${ui.bold('repo')}      ${printable(result.repo)}` : '',
        result.expiresAt ? `${ui.bold('expires')}   ${describeExpiry(result.expiresAt)} (${result.expiresAt}; spark extend ${result.name} DUR pushes it back)` : '',
        request.from ? `${ui.bold('from')}      ${request.from}${request.snapshot ? ` (snapshot ${request.snapshot})` : ''}: database and ${termsOf(kind).home} copied` : '',
        dbTemplate ? `${ui.bold('template')}  ${dbTemplate}` : '',
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
    // A stopped cleanup may still hold a connection; closing would wait for it. The process exits next.
    if (!stopCleanup.signal.aborted) await backend.close();
  }
}

/**
 * SPARK_DEFAULT_TTL for a new spark. A runtime that keeps no expiry (local) leaves the default out
 * with a note (an explicit --ttl is refused by the create itself).
 */
function defaultTtl(config: Config, kind: RuntimeKind, ui: Context['ui']): number | undefined {
  const setting = config.get('SPARK_DEFAULT_TTL');
  if (setting === undefined) return undefined;
  if (!runtimeEntry(kind).capabilities.includes('expiry')) {
    ui.info(`SPARK_DEFAULT_TTL=${setting} is not applied: ${kind} sparks do not expire.`);
    return undefined;
  }
  // Validated when the configuration loaded.
  return parseDuration(setting, 'SPARK_DEFAULT_TTL');
}

/** --from/--snapshot/--db-template: checked before anything is asked or made. */
function checkCopySource(request: CreateRequest): void {
  if (request.snapshot !== undefined && request.from === undefined) throw usageError('--snapshot needs --from: the snapshot of which spark?', `spark create NEW --from SPARK --snapshot ${request.snapshot}`);
  if (request.from !== undefined) validateName(request.from);
  if (request.snapshot !== undefined) validateSnapshotId(request.from!, request.snapshot);
  if (request.from !== undefined && request.dbTemplate !== undefined) throw usageError('--from and --db-template contradict each other: the database is copied from one source.', 'Give one of them.');
  if (request.dbTemplate !== undefined) validateTemplateName(request.dbTemplate);
}

/** --repo is given to git as it is: refuse what git would misread, and what the runtime cannot clone, before anything is made. */
function checkRepo(repo: string, allowLocal: boolean): void {
  const why = repoProblem(repo, allowLocal);
  if (!why) return;
  throw usageError(
    `--repo ${JSON.stringify(repo)} ${why}.`,
    repoKind(repo) === 'local'
      ? 'Give a URL the cluster can clone, e.g. --repo https://github.com/me/app.git or --repo git@github.com:me/app.git, or create the spark here: --runtime local'
      : 'Give a repository git can clone, e.g. --repo https://github.com/me/app.git or --repo git@github.com:me/app.git (or, with --runtime local, a local path).',
  );
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
