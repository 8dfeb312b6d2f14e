/**
 * The local Runtime: a spark is a workspace directory `<dataDir>/sparks/<name>/` with home/,
 * project/ (the repository, cloned), spark.json and spark.env. The directory is the root object:
 * making it is the claim, removing it is the delete.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseMark, stillInFlight } from '../../core/inflight.js';
import type { CheckResult, DeleteReport, InFlight, OnProgress, Runtime, RuntimeCapabilities, RuntimeSpark, RuntimeStatus, ShellInvocation, SparkSpec, WaitOptions } from '../../core/ports.js';
import { SparkError } from '../../errors.js';
import { nameProblem, validateName } from '../../names/index.js';
import { registerSecret } from '../../redact.js';
import { embeddedBinDir, orphanedClusters, serverUser, type EmbeddedConnection, type EmbeddedServer } from './embedded.js';
import { deletingName, leftoversOf, workspaceOf, type Layout, type WorkspacePaths } from './layout.js';
import { envOf, metaOf, readEnv, readMeta, renderEnv, writeAtomic, type SparkMeta } from './workspace.js';

export class LocalRuntime implements Runtime {
  readonly kind = 'local' as const;
  readonly capabilities: RuntimeCapabilities = {};
  private readonly layout: Layout;

  constructor(
    private readonly server: EmbeddedServer,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.layout = server.layout;
  }

  private paths(name: string): WorkspacePaths {
    return workspaceOf(this.layout, validateName(name));
  }

  /** mkdir is atomic: of two creates of one name, exactly one makes the directory. */
  async claim(spec: SparkSpec): Promise<void> {
    const ws = this.paths(spec.name);
    mkdirSync(this.layout.dataDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.layout.sparksDir, { recursive: true, mode: 0o700 });
    try {
      mkdirSync(ws.dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw workspaceError(ws.dir, error);
      throw new SparkError(`A local spark named "${spec.name}" already exists (${ws.dir}).`, {
        hint: `Choose another name, or remove the old one first: spark delete ${spec.name}`,
        code: 'NAME_TAKEN',
      });
    }
    if (spec.inFlight) writeFileSync(ws.creating, JSON.stringify(spec.inFlight), { mode: 0o600 });
  }

  async creating(name: string): Promise<InFlight | undefined> {
    if (nameProblem(name)) return undefined;
    let text: string | undefined;
    try {
      text = readFileSync(workspaceOf(this.layout, name).creating, 'utf8');
    } catch {
      return undefined;
    }
    const mark = parseMark(text);
    return stillInFlight(mark) ? mark : undefined;
  }

  async markCreated(name: string): Promise<void> {
    rmSync(this.paths(name).creating, { force: true });
  }

  /** Checked a few times a second: local creates are short, and this needs no watcher to clean up. */
  claimGone(name: string, signal: AbortSignal): Promise<void> {
    const dir = this.paths(name).dir;
    return new Promise((resolveGone) => {
      const timer = setInterval(() => {
        if (!existsSync(dir)) stop();
      }, 200);
      const stop = (): void => {
        clearInterval(timer);
        signal.removeEventListener('abort', stop);
        resolveGone();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop);
    });
  }

  async databaseOf(name: string): Promise<string | undefined> {
    const url = readEnv(this.paths(name).env)?.DATABASE_URL;
    try {
      return url ? decodeURIComponent(new URL(url).pathname.slice(1)) || undefined : undefined;
    } catch {
      return undefined;
    }
  }

  /** Converges: safe to run again on a claimed or half-made workspace. spark.json comes last: it marks the spark complete. */
  async create(spec: SparkSpec, options: { onProgress?: OnProgress; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const ws = this.paths(spec.name);
    if (!existsSync(ws.dir)) throw new SparkError(`The workspace of "${spec.name}" is gone (${ws.dir}).`, { hint: `Create it again: spark create ${spec.name} --runtime local`, code: 'NOT_FOUND' });
    const repo = spec.repo ? localRepo(spec.repo) : undefined;
    if (spec.from && !existsSync(ws.home)) this.copyWorkspace(spec.from, ws, repo, options.onProgress);
    mkdirSync(ws.home, { recursive: true, mode: 0o700 });
    writeAtomic(ws.env, renderEnv(envOf(spec)), 0o600);
    if (repo && !existsSync(join(ws.project, '.git'))) {
      rmSync(ws.project, { recursive: true, force: true });
      options.onProgress?.({ step: 'Cloning the repository', detail: repo });
      await cloneRepo(repo, ws.project, { githubToken: spec.githubToken, signal: options.signal, timeoutMs: options.timeoutMs, env: this.env });
    }
    mkdirSync(ws.project, { recursive: true, mode: 0o755 });
    writeAtomic(ws.meta, `${JSON.stringify(metaOf(spec, repo), null, 2)}\n`, 0o644);
  }

  /**
   * A fork starts with a copy of its source's home and, when it has the same repo, of its project
   * (uncommitted work included). Copied into a staging name and renamed, so a half copy is never taken for a home.
   */
  private copyWorkspace(from: string, ws: WorkspacePaths, repo: string | undefined, onProgress?: OnProgress): void {
    const source = this.paths(from);
    const meta = readMeta(source.meta);
    if (!meta) throw new SparkError(`The local spark "${from}" is incomplete; it cannot be forked.`, { hint: `See it with: spark status ${from}`, code: 'NOT_READY' });
    onProgress?.({ step: 'Copying the workspace', detail: from });
    const copy = (src: string, dest: string): void => {
      if (!existsSync(src)) return;
      const staging = `${dest}.copying`;
      rmSync(staging, { recursive: true, force: true });
      cpSync(src, staging, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      renameSync(staging, dest);
    };
    if ((meta.repo ?? undefined) === repo && !existsSync(ws.project)) copy(source.project, ws.project);
    copy(source.home, ws.home);
  }

  /** Nothing to wait for: a workspace is ready once it is complete. */
  async waitReady(name: string, _options: WaitOptions): Promise<RuntimeSpark> {
    const spark = await this.status(name);
    if (!spark || spark.state !== 'Running') {
      throw new SparkError(`The local spark "${name}" is incomplete${spark?.reason ? ` (${spark.reason})` : ''}.`, { hint: `Remove it and create it again: spark delete ${name}`, code: 'NOT_READY' });
    }
    return toSpark(spark);
  }

  /** One directory read, whatever the number of sparks; workspaces being deleted (dot names) are skipped. */
  async list(): Promise<RuntimeSpark[]> {
    let entries: string[];
    try {
      entries = readdirSync(this.layout.sparksDir, { withFileTypes: true }).filter((e) => e.isDirectory() && !nameProblem(e.name)).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw workspaceError(this.layout.sparksDir, error);
    }
    return entries.map((name) => {
      const ws = workspaceOf(this.layout, name);
      const meta = readMeta(ws.meta);
      return meta ? fromMeta(meta) : incomplete(name, ws);
    });
  }

  async exists(name: string): Promise<boolean> {
    return !nameProblem(name) && existsSync(workspaceOf(this.layout, name).dir);
  }

  async status(name: string): Promise<RuntimeStatus | undefined> {
    const ws = this.paths(name);
    if (!existsSync(ws.dir)) return undefined;
    const objects = [
      { kind: 'workspace', name: ws.dir, exists: true },
      { kind: 'env file', name: ws.env, exists: existsSync(ws.env) },
      { kind: 'project', name: ws.project, exists: existsSync(ws.project) },
      { kind: 'home', name: ws.home, exists: existsSync(ws.home) },
      { kind: 'spark.json', name: ws.meta, exists: existsSync(ws.meta) },
    ];
    const meta = readMeta(ws.meta);
    const base = meta ? fromMeta(meta) : incomplete(name, ws);
    const missing = objects.filter((o) => !o.exists).map((o) => o.kind);
    if (meta && missing.length) Object.assign(base, { state: 'Incomplete', reason: `missing: ${missing.join(', ')}` });
    return { ...base, objects, events: [] };
  }

  /**
   * Move the workspace aside (so the name is free and list never sees half a directory), then
   * remove it, with what an earlier delete of this name could not remove.
   */
  async delete(name: string): Promise<DeleteReport> {
    const ws = this.paths(name);
    const report: DeleteReport = { removed: [], left: [] };
    const aside = join(this.layout.sparksDir, deletingName(name, randomBytes(4).toString('hex')));
    try {
      renameSync(ws.dir, aside);
      report.removed.push(`workspace ${ws.dir}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw workspaceError(ws.dir, error);
    }
    for (const dir of leftoversOf(this.layout, name)) {
      try {
        forceRemove(dir);
        if (dir !== aside) report.removed.push(`leftover ${dir}`);
      } catch (error) {
        report.left.push(`files in ${dir} (${(error as Error).message}); remove them with: rm -rf ${dir}`);
      }
    }
    return report;
  }

  /**
   * `spark shell NAME [-- CMD...]`: CMD runs directly (no shell re-parses its words), else $SHELL;
   * in the project directory, with the spark's variables on top of the caller's environment
   * (HOME stays the user's own: their dotfiles, git and Claude Code logins keep working).
   * The libpq variables (PGHOST…) are derived from DATABASE_URL, so a bare `psql` works too.
   */
  async shell(name: string, command: string[]): Promise<ShellInvocation> {
    const ws = this.paths(name);
    const env = readEnv(ws.env);
    if (!existsSync(ws.dir) || !env) throw new SparkError(`No local spark named "${name}".`, { hint: 'See your sparks with: spark list', code: 'NOT_FOUND' });
    if (env.DATABASE_URL) {
      // The server may have moved to another port (the old one was taken while it was stopped).
      const connection = await this.server.ensure();
      const url = current(env.DATABASE_URL, connection);
      if (url !== env.DATABASE_URL) {
        env.DATABASE_URL = url;
        writeAtomic(ws.env, renderEnv(env), 0o600);
      }
    }
    return { ...argv(command, this.env), env: { ...env, ...libpqEnv(env.DATABASE_URL) }, cwd: existsSync(ws.project) ? ws.project : ws.dir };
  }

  async checks(): Promise<CheckResult[]> {
    const checks: CheckResult[] = [dataDirCheck(this.layout.dataDir)];
    try {
      const bin = await embeddedBinDir();
      checks.push({ id: 'local-binaries', title: 'Embedded PostgreSQL binaries are installed', status: 'ok', detail: bin });
    } catch (error) {
      checks.push(failed('local-binaries', 'Embedded PostgreSQL binaries are installed', error));
    }
    if (process.getuid?.() === 0) {
      try {
        const who = serverUser();
        checks.push({ id: 'local-server-user', title: 'An OS user to run PostgreSQL as (spark runs as root)', status: 'ok', detail: who?.name });
      } catch (error) {
        checks.push(failed('local-server-user', 'An OS user to run PostgreSQL as (spark runs as root)', error));
      }
    }
    try {
      const connection = await this.server.ensure();
      checks.push({ id: 'local-server', title: 'Embedded PostgreSQL server is running', status: 'ok', detail: `${connection.host}:${connection.port} (pid ${connection.pid}), data in ${this.server.status().dataDir}` });
    } catch (error) {
      checks.push(failed('local-server', 'Embedded PostgreSQL server is running', error));
    }
    for (const dir of orphanedClusters(this.layout.dataDir)) {
      checks.push({ id: `local-orphaned-${basename(dir)}`, title: 'An earlier embedded PostgreSQL cluster was set aside', status: 'warn', blocking: false, detail: `${dir}: its data directory was removed, and its passwords with it`, fix: `copy out what you need (its databases are kept as they were), then: rm -rf ${dir}` });
    }
    for (const dir of leftoversOf(this.layout)) {
      const name = dir.split('/').at(-1)!.replace(/^\.deleting-(.*)-[0-9a-f]+$/, '$1');
      checks.push({ id: `local-leftover-${name}`, title: `A delete of ${name} left files behind`, status: 'warn', blocking: false, detail: dir, fix: `make them removable (e.g. chattr -i, chmod u+w), then: spark delete ${name} --yes   (or: rm -rf ${dir})` });
    }
    checks.push(await programCheck('git', ['--version'], { id: 'local-git', title: 'git is installed (for --repo)', fix: 'Install git, e.g. apt-get install git' }));
    checks.push(await programCheck('psql', ['--version'], { id: 'local-psql', title: 'psql is installed (to use $DATABASE_URL in a spark)', fix: 'Install the PostgreSQL client, e.g. apt-get install postgresql-client' }));
    return checks;
  }
}

/**
 * Several words run directly as argv, so nothing is re-parsed. One word holding a command line
 * (`spark shell x -- 'psql "$DATABASE_URL" -c "select 1"'`) is what ssh to a Kubernetes spark
 * would run through the remote shell, so here too it goes to /bin/sh -c: the same command line
 * works on both runtimes, and $DATABASE_URL is the spark's, not the caller's.
 */
function argv(command: string[], env: NodeJS.ProcessEnv): { program: string; args: string[] } {
  if (command.length === 0) return { program: env.SHELL || '/bin/sh', args: [] };
  if (command.length === 1 && /\s/.test(command[0]!) && !existsSync(command[0]!)) return { program: '/bin/sh', args: ['-c', command[0]!] };
  return { program: command[0]!, args: command.slice(1) };
}

/** PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE from a postgresql:// URL. */
function libpqEnv(url: string | undefined): Record<string, string> {
  if (!url) return {};
  try {
    const u = new URL(url);
    const env: Record<string, string> = {
      PGHOST: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      PGPORT: u.port || '5432',
      PGUSER: decodeURIComponent(u.username),
      PGPASSWORD: decodeURIComponent(u.password),
      PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')),
    };
    const sslmode = u.searchParams.get('sslmode');
    if (sslmode) env.PGSSLMODE = sslmode;
    return env;
  } catch {
    return {};
  }
}

function fromMeta(meta: SparkMeta): RuntimeSpark {
  return { name: meta.name, runtime: 'local', state: 'Running', createdAt: meta.createdAt, ...(meta.repo ? { repo: meta.repo } : {}) };
}

function incomplete(name: string, ws: WorkspacePaths): RuntimeSpark {
  let createdAt: string | undefined;
  try {
    createdAt = statSync(ws.dir).birthtime.toISOString();
  } catch {
    createdAt = undefined;
  }
  return { name, runtime: 'local', state: 'Incomplete', reason: 'spark.json is missing (an interrupted create?)', ...(createdAt ? { createdAt } : {}) };
}

function toSpark(status: RuntimeStatus): RuntimeSpark {
  const { objects: _objects, events: _events, ...spark } = status;
  return spark;
}

/**
 * The spark's URL against the server as it is now: its port (it may have moved), and, when the
 * URL uses the shared spark role, that role's current password (it may have been reset).
 */
function current(url: string, connection: EmbeddedConnection): string {
  try {
    const parsed = new URL(url);
    if (parsed.hostname !== connection.host) return url;
    parsed.port = String(connection.port);
    if (decodeURIComponent(parsed.username) === connection.user) parsed.password = encodeURIComponent(connection.password);
    return parsed.toString() === new URL(url).toString() ? url : parsed.toString();
  } catch {
    return url;
  }
}

function workspaceError(path: string, error: unknown): SparkError {
  const e = error as NodeJS.ErrnoException;
  return new SparkError(`Cannot use ${path}: ${e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.message}.`, {
    hint: 'Make the spark data directory writable by you, or choose another one: export SPARK_DATA_DIR=/path/you/own',
    code: 'LOCAL_DATA_DIR',
    cause: error,
  });
}

/** A workspace may hold read-only directories (a build tool's, a test's): make them writable and retry. */
function forceRemove(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw error;
    const open = (dir: string): void => {
      try {
        chmodSync(dir, 0o700);
        for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) open(join(dir, entry.name));
      } catch {
        // best effort; the rm below reports what stays
      }
    };
    open(path);
    rmSync(path, { recursive: true, force: true });
  }
}

/** A local path (relative to where spark runs) becomes absolute; URLs and scp-like addresses stay. */
function localRepo(repo: string): string {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) && existsSync(repo) ? resolve(repo) : repo;
}

/** Without --timeout a clone still ends: a server that never answers must not hang create. */
const DEFAULT_CLONE_TIMEOUT_MS = 5 * 60_000;

async function cloneRepo(repo: string, into: string, options: { githubToken?: string; signal?: AbortSignal; timeoutMs?: number; env: NodeJS.ProcessEnv }): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLONE_TIMEOUT_MS;
  const env: NodeJS.ProcessEnv = { ...options.env, GIT_TERMINAL_PROMPT: '0' };
  if (options.githubToken && /^https:\/\/github\.com\//i.test(repo)) {
    // The token goes to git through the environment (not argv, which `ps` shows; not the clone's .git/config).
    const basic = Buffer.from(`x-access-token:${options.githubToken}`).toString('base64');
    registerSecret(basic);
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader', GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}` });
  }
  const result = await new Promise<{ code: number | null; stderr: string }>((resolveClone, reject) => {
    // Its own process group: git's helpers (git-remote-http) hold the pipes too, and must be stopped with it.
    const child = spawn('git', ['clone', '--quiet', '--', repo, into], { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true });
    let stopped: 'timeout' | 'interrupt' | undefined;
    const stop = (why: 'timeout' | 'interrupt') => (): void => {
      stopped ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onAbort = stop('interrupt');
    const timer = setTimeout(stop('timeout'), timeoutMs);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') reject(new SparkError('git is not installed, so --repo cannot be cloned.', { hint: 'Install git (e.g. apt-get install git), or create the spark without --repo.', code: 'GIT_MISSING' }));
      else reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (stopped) rmSync(into, { recursive: true, force: true });
      if (stopped === 'interrupt') reject(new SparkError('Interrupted while cloning.', { code: 'INTERRUPTED' }));
      else if (stopped === 'timeout') {
        reject(new SparkError(`Could not clone ${repo}: no answer within ${Math.round(timeoutMs / 1000)} s (the clone was stopped).`, {
          hint: `Check that the server answers: git clone ${repo}   (or give it more time: spark create --timeout 10m)`,
          code: 'CLONE_TIMEOUT',
        }));
      } else resolveClone({ code, stderr });
    });
  });
  if (result.code === 0) return;
  rmSync(into, { recursive: true, force: true });
  const said = result.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const why = said.filter((l) => /^(fatal|error):/.test(l)).join(' ') || said.slice(-2).join(' ') || `git exited with code ${result.code}`;
  const auth = /authentication|could not read username|repository not found|permission denied|403/i.test(result.stderr);
  throw new SparkError(`Could not clone ${repo}: ${why}`, {
    hint: auth
      ? `If the repository is private, set GITHUB_TOKEN to a token that can read it (or use a URL your git credentials can clone). Check with: git clone ${repo}`
      : `Check the URL or path; this must work on this machine: git clone ${repo}`,
    code: 'CLONE_FAILED',
  });
}

function failed(id: string, title: string, error: unknown): CheckResult {
  const e = error instanceof SparkError ? error : undefined;
  return { id, title, status: 'fail', blocking: true, detail: (error as Error).message, ...(e?.hint ? { fix: e.hint } : {}) };
}

function dataDirCheck(dataDir: string): CheckResult {
  const title = 'Spark data directory is writable';
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.W_OK | constants.X_OK);
    const probe = join(dataDir, `.probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
    return { id: 'local-data-dir', title, status: 'ok', detail: dataDir };
  } catch (error) {
    return { id: 'local-data-dir', title, status: 'fail', blocking: true, detail: `${dataDir}: ${(error as Error).message}`, fix: 'Make it writable by you, or choose another: export SPARK_DATA_DIR=/path/you/own' };
  }
}

async function programCheck(program: string, args: string[], check: { id: string; title: string; fix: string }): Promise<CheckResult> {
  try {
    const { stdout } = await promisify(execFile)(program, args, { timeout: 5_000 });
    return { id: check.id, title: check.title, status: 'ok', detail: stdout.trim().split('\n')[0] };
  } catch {
    return { id: check.id, title: check.title, status: 'warn', blocking: false, detail: `${program} not found`, fix: check.fix };
  }
}
