/**
 * `npm run bench -- cluster` (also the last section of a whole `npm run bench`): the budgets of
 * issue 17, on the REAL control plane (test/support/cluster) and a real PostgreSQL 18.
 *
 * - start-up: `spark --version` and `spark shell NAME -- true` (local runtime) against `node -e 0`;
 * - `spark list --json` at 0, 10, 100, 1,000 and 5,000 sparks against kubectl (the control plane's
 *   own version) and bench/floor.mjs, the least a Node CLI can do for the same answer;
 * - at the largest size, wall time and peak RSS of list (JSON and table), status, create, delete.
 *
 * Sparks are seeded over HTTP (bench/lib/control-plane.ts); the controllers are let catch up
 * before anything is timed. Runs alternate A B C A B C after a warm-up, as in bench/run.ts.
 */
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseProvisioner } from '../src/core/ports.js';
import { ROOT_BASE, stopEmbedded } from '../src/runtimes/local/embedded.js';
import { apiOf, LOAD_BALANCER_CAP, removeVolumeDirectories, RUNNING_CAP, seedSparks, settle, startBenchControlPlane, type Api, type ControlPlane } from './lib/control-plane.js';
import { openDatabaseFacade } from './lib/database.js';
import { SPARK } from './lib/paths.js';
import { startPostgres, type PostgresServers } from './lib/postgres.js';
import { failureReason, rssMethod, run, succeeded, type RunOutcome } from './lib/proc.js';
import type { ClusterGrowthRow, ClusterResults, MemoryRow, TimingRow } from './lib/report.js';
import { seedName, seedSpec } from './lib/seed.js';
import { summarize } from './lib/stats.js';
import { reasonOf, Unavailable } from './lib/unavailable.js';
import { commandEnv, makeWorkspace, writeSparkConfig } from './lib/workspace.js';

const NODE = process.execPath;
const FLOOR = fileURLToPath(new URL('./floor.mjs', import.meta.url));
const VERSION_BUDGET = 1.2;
const SHELL_BUDGET = 1.5;
const LIST_FLOOR_BUDGET = 1.3;
const LIST_KUBECTL_BUDGET_EMPTY = 2.5;
const LIST_KUBECTL_BUDGET = 1.0;
const MEMORY_BUDGET_MIB = 150;

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw}: expected a whole number ≥ 1`);
  return value;
}

function sizes(): number[] {
  const raw = process.env.BENCH_CLUSTER_SIZES;
  const values = raw ? raw.split(',').map((s) => Number(s.trim())) : [0, 10, 100, 1000, 5000];
  if (values.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`BENCH_CLUSTER_SIZES=${raw}: expected comma-separated whole numbers`);
  return [...new Set(values)].sort((a, b) => a - b);
}

interface Command {
  label: string;
  program: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  check?: (outcome: RunOutcome) => string | undefined;
}

interface Listing {
  sparks?: Array<{ name: string; state: string; database: unknown }>;
  unavailable?: Array<{ part: string; reason: string }>;
}

export async function benchCluster(): Promise<ClusterResults> {
  const started = Date.now();
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const settings = {
    sizes: sizes(),
    runs: int('BENCH_CLUSTER_RUNS', 11),
    largeRuns: int('BENCH_CLUSTER_LARGE_RUNS', 5),
    startupRuns: int('BENCH_RUNS', 15),
    warmup: int('BENCH_WARMUP', 2),
    lifecycleRuns: int('BENCH_CLUSTER_LIFECYCLE_RUNS', 3),
    databases: int('BENCH_CLUSTER_DATABASES', 1000),
    timeoutMs: int('BENCH_TIMEOUT_MS', 180_000),
  };
  const runId = randomBytes(2).toString('hex');
  const log = (message: string): void => void process.stderr.write(`[bench cluster] ${message}\n`);
  const results: ClusterResults = {
    date: new Date().toISOString(),
    controlPlane: 'not started',
    kubectl: '—',
    postgres: '—',
    settings: { ...settings, runId, runningCap: RUNNING_CAP },
    timings: [],
    growth: [],
    memory: [],
    notes: [],
    seconds: 0,
    loadAverage: { start: loadAtStart, end: [] },
  };
  const ws = makeWorkspace();
  const env = commandEnv(ws);
  writeSparkConfig(ws, {});

  let postgres: PostgresServers | undefined;
  let plane: ControlPlane | undefined;
  let api: Api | undefined;
  let facade: DatabaseProvisioner | undefined;
  let local: { base: string; dataDir: string } | undefined;
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    if (local) await removeLocal(local);
    await facade?.close().catch(() => {});
    if (api) {
      const removed = await removeVolumeDirectories(api).catch(() => 0);
      if (removed) log(`removed ${removed} volume directories of the hostPath provisioner`);
      api.close();
    }
    await plane?.stop().catch((e: unknown) => log(`stopping the control plane: ${reasonOf(e)}`));
    await postgres?.stop().catch((e: unknown) => log(`stopping PostgreSQL: ${reasonOf(e)}`));
    ws.remove();
  };
  const onSignal = (): void => {
    log('interrupted: stopping the servers…');
    void teardown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const exec = (c: Command, rss = false): Promise<RunOutcome> => run(c.program, c.args, { env: c.env ?? env, cwd: ws.dir, timeoutMs: settings.timeoutMs, rss });
  const problem = (c: Command, o: RunOutcome): string | undefined => (succeeded(o) ? c.check?.(o) : failureReason(o));

  /** Warm-up rounds, then `runs` rounds of A B C…; a command failing both first tries is not available. */
  async function alternate(commands: Command[], runs: number, warmup = settings.warmup): Promise<{ times: number[][]; failures: string[] }> {
    const failures: string[] = [];
    for (let w = 0; w < warmup; w++) {
      for (const c of commands) {
        const why = problem(c, await exec(c));
        if (!why) continue;
        if (w > 0) failures.push(why);
        else {
          const again = problem(c, await exec(c));
          if (again) throw new Unavailable(why);
          failures.push(why);
        }
      }
    }
    const times = commands.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      for (const [i, c] of commands.entries()) {
        const o = await exec(c);
        const why = problem(c, o);
        if (why) failures.push(why);
        else times[i]!.push(o.ms);
      }
    }
    return { times, failures };
  }

  function comparison(id: string, what: string, reference: string, a: number[], b: number[], failures: string[], budget?: number): TimingRow {
    const summary = summarize(a);
    const ref = summarize(b);
    const ratio = summary.median / ref.median;
    const row: TimingRow = { id, what, summary, reference: { what: reference, summary: ref }, ratio, verdict: 'info' };
    if (budget !== undefined) {
      row.budget = `≤ ${budget}× reference`;
      row.verdict = ratio <= budget ? 'ok' : 'over';
    }
    if (failures.length) Object.assign(row, { verdict: 'fail', note: `${failures.length} failed run(s): ${failures[0]}` });
    return row;
  }
  const unavailable = (id: string, what: string, error: unknown, budget?: string): TimingRow => ({ id, what, verdict: 'unavailable', note: reasonOf(error), budget });

  const nodeE0: Command = { label: 'node -e 0', program: NODE, args: ['-e', '0'] };
  const spark = (...args: string[]): Command => ({ label: `spark ${args.join(' ')}`, program: NODE, args: [SPARK, ...args] });

  try {
    // ---------------------------------------------------------------- start-up
    log('start-up: --version and a local shell against node -e 0…');
    const version = spark('--version');
    version.check = (o) => (o.stdout.trim() ? undefined : 'printed no version');
    try {
      const { times, failures } = await alternate([version, nodeE0], settings.startupRuns);
      results.timings.push(comparison('version', '`spark --version`', '`node -e 0`', times[0]!, times[1]!, failures, VERSION_BUDGET));
    } catch (error) {
      results.timings.push(unavailable('version', '`spark --version`', error, `≤ ${VERSION_BUDGET}× reference`));
    }
    try {
      local = makeLocal();
      const localEnv = { ...env, SPARK_CONFIG: join(local.base, 'config.json'), SPARK_DATA_DIR: local.dataDir };
      const name = `shell-${runId}`;
      const created = await exec({ ...spark('create', '--no-shell', name), env: localEnv });
      if (!succeeded(created)) throw new Unavailable(failureReason(created));
      const shell: Command = { ...spark('shell', name, '--', 'true'), env: localEnv };
      const { times, failures } = await alternate([shell, nodeE0], settings.startupRuns);
      results.timings.push(comparison('shell-local', '`spark shell NAME -- true` (local runtime)', '`node -e 0`', times[0]!, times[1]!, failures, SHELL_BUDGET));
      await exec({ ...spark('delete', '--yes', name), env: localEnv });
    } catch (error) {
      results.timings.push(unavailable('shell-local', '`spark shell NAME -- true` (local runtime)', error, `≤ ${SHELL_BUDGET}× reference`));
    } finally {
      if (local) await removeLocal(local);
      local = undefined;
    }

    // ---------------------------------------------------------------- servers
    log('starting PostgreSQL 18 and the control plane…');
    postgres = await startPostgres(ws, { pg15: false });
    const pg = postgres.servers[0]!;
    results.postgres = `${pg.version} (${pg.label}, scram-sha-256 on loopback)`;
    writeSparkConfig(ws, {
      POSTGRES_HOST: pg.spark.host,
      POSTGRES_PORT: String(pg.spark.port),
      POSTGRES_USER: pg.spark.user,
      POSTGRES_PASSWORD: pg.spark.password,
      POSTGRES_DB: pg.spark.database,
      POSTGRES_SSLMODE: 'disable',
    });
    facade = await openDatabaseFacade(pg);
    const t0 = Date.now();
    plane = await startBenchControlPlane();
    api = apiOf(plane);
    copyFileSync(plane.kubeconfig, ws.kubeconfig);
    const kubectlPath = join(plane.binDir, 'kubectl');
    const kubectlVersion = await run(kubectlPath, ['version', '--client', '-o', 'json'], { env });
    const serverVersion = JSON.parse(await api.call('GET', '/version').then((r) => r.body)) as { gitVersion?: string };
    results.kubectl = (JSON.parse(kubectlVersion.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'unknown';
    results.controlPlane = `real control plane, Kubernetes ${serverVersion.gitVersion ?? '?'} (etcd, kube-apiserver with RBAC and the default admission plugins, controller-manager, scheduler, kwok's node; test/support/cluster), started in ${((Date.now() - t0) / 1000).toFixed(1)} s`;

    const kubectl: Command = { label: 'kubectl get deployments', program: kubectlPath, args: ['get', 'deployments', '-n', 'spark', '-l', 'app=spark', '-o', 'json'] };
    const floor: Command = { label: 'floor', program: NODE, args: [FLOOR] };
    const KUBECTL = '`kubectl get deployments -n spark -l app=spark -o json`';
    const FLOOR_WHAT = 'floor script (bench/floor.mjs)';

    // ---------------------------------------------------------------- seeding
    let seeded = 0;
    let seededDatabases = 0;
    const seedOptions = { sshPublicKey: ws.sshPublicKey, databaseHost: pg.spark.host, databasePort: String(pg.spark.port) };
    const seedTo = async (n: number): Promise<void> => {
      if (n > seeded) {
        const t = Date.now();
        await seedSparks(api!, seeded, n, seedOptions);
        log(`seeded sparks ${seeded}..${n - 1} (${(n - seeded) * 5} objects) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        seeded = n;
      }
      const databases = Math.min(n, settings.databases);
      if (databases > seededDatabases) {
        const t = Date.now();
        for (let i = seededDatabases; i < databases; i++) {
          const { createdAt } = seedSpec(i, seedOptions);
          await facade!.create(await facade!.plan(seedName(i), { createdAt }), { createdAt });
        }
        log(`created databases ${seededDatabases}..${databases - 1} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        seededDatabases = databases;
      }
      const t = Date.now();
      await settle(api!, n);
      log(`controllers caught up with ${n} sparks in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };

    const listCheck = (n: number, databases: number): ((o: RunOutcome) => string | undefined) => (o) => {
      let listing: Listing;
      try {
        listing = JSON.parse(o.stdout) as Listing;
      } catch {
        return `spark list --json printed invalid JSON (${Buffer.byteLength(o.stdout)} bytes)`;
      }
      if (listing.unavailable?.length) return `spark list reported ${listing.unavailable.map((u) => `${u.part} unavailable: ${u.reason}`).join('; ')}`;
      const seeds = (listing.sparks ?? []).filter((s) => s.name.startsWith('seed-'));
      if (seeds.length !== n) return `spark list showed ${seeds.length} seeded sparks, expected ${n}`;
      const withDb = seeds.filter((s) => s.database).length;
      if (withDb !== databases) return `spark list joined ${withDb} databases, expected ${databases}`;
      const wrong = seeds.find((s) => s.state !== (Number(s.name.slice(5)) < RUNNING_CAP ? 'Running' : 'Sleeping'));
      return wrong ? `spark list showed ${wrong.name} ${wrong.state}` : undefined;
    };
    const countCheck = (what: string, n: number, count: (stdout: string) => number) => (o: RunOutcome): string | undefined => {
      try {
        const got = count(o.stdout);
        return got === n ? undefined : `${what} listed ${got} deployments, expected ${n}`;
      } catch {
        return `${what} printed no JSON`;
      }
    };

    // ---------------------------------------------------------------- list at each size
    const largest = settings.sizes[settings.sizes.length - 1] ?? 0;
    for (const n of settings.sizes) {
      const what = `\`spark list --json\`, ${n.toLocaleString('en-US')} sparks`;
      const databases = Math.min(n, settings.databases);
      const row: ClusterGrowthRow = { sparks: n, running: Math.min(n, RUNNING_CAP), databases };
      const budget = n === 0 ? LIST_KUBECTL_BUDGET_EMPTY : n >= 100 ? LIST_KUBECTL_BUDGET : undefined;
      try {
        await seedTo(n);
        const list = { ...spark('list', '--json'), check: listCheck(n, databases) };
        const k = { ...kubectl, check: countCheck('kubectl', n, (s) => (JSON.parse(s) as { items: unknown[] }).items.length) };
        const f = { ...floor, check: countCheck('the floor script', n, (s) => (JSON.parse(s) as { deployments: number }).deployments) };
        const large = n > 1000;
        log(`list at ${n} sparks (${large ? settings.largeRuns : settings.runs} rounds)…`);
        const { times, failures } = await alternate([list, k, f], large ? settings.largeRuns : settings.runs, large ? 1 : settings.warmup);
        Object.assign(row, { spark: summarize(times[0]!), kubectl: summarize(times[1]!), floor: summarize(times[2]!) });
        const vsKubectl = comparison(`list-${n}`, what, KUBECTL, times[0]!, times[1]!, failures, budget);
        if (n === 0) results.timings.push(comparison('list-0-floor', what, FLOOR_WHAT, times[0]!, times[2]!, failures, LIST_FLOOR_BUDGET));
        if (n > 0) vsKubectl.note = [vsKubectl.note, `${row.running} running, ${databases} with a database`].filter(Boolean).join('; ');
        results.timings.push(vsKubectl);
        if (failures.length) row.note = `${failures.length} failed run(s): ${failures[0]}`;
      } catch (error) {
        row.note = `not available: ${reasonOf(error)}`;
        results.timings.push(unavailable(`list-${n}`, what, error, budget === undefined ? undefined : `≤ ${budget}× reference`));
      }
      results.growth.push(row);
    }

    // ---------------------------------------------------------------- every command at the largest size
    log(`every command at ${largest} sparks, with peak RSS…`);
    const at = `${largest.toLocaleString('en-US')} sparks`;
    const note = rssMethod() === 'gnu-time' ? undefined : 'VmHWM polled every 5 ms (GNU time not installed): a lower bound';
    const memoryRow = (command: string, outcomes: RunOutcome[], budgeted: boolean, reason?: string): void => {
      const peaks = outcomes.map((o) => o.peakRssKb).filter((k): k is number => k !== undefined);
      const row: MemoryRow = { command, runs: peaks.length, budget: budgeted ? `≤ ${MEMORY_BUDGET_MIB} MiB` : undefined, verdict: 'info', note };
      if (reason || !peaks.length) Object.assign(row, { verdict: 'unavailable', note: reason ?? 'no peak RSS figure' });
      else {
        row.peakMiB = Math.max(...peaks) / 1024;
        if (budgeted) row.verdict = row.peakMiB <= MEMORY_BUDGET_MIB ? 'ok' : 'over';
      }
      results.memory.push(row);
    };
    /** `runs` runs under GNU time: a timing row (no budget) and a memory row. */
    const measure = async (id: string, what: string, commands: (i: number) => Command, runs: number, budgeted: boolean, between?: (i: number) => Promise<void>): Promise<void> => {
      const outcomes: RunOutcome[] = [];
      let reason: string | undefined;
      for (let i = 0; i < runs && !reason; i++) {
        const c = commands(i);
        const o = await exec(c, true);
        reason = problem(c, o);
        if (!reason) outcomes.push(o);
        await between?.(i);
      }
      if (id) {
        results.timings.push(reason ? unavailable(id, what, new Unavailable(reason)) : { id, what, summary: summarize(outcomes.map((o) => o.ms)), verdict: 'info', note: `under GNU time (peak RSS below); ${runs} runs` });
      }
      memoryRow(what, outcomes, budgeted, reason);
    };
    const databases = Math.min(largest, settings.databases);
    await measure('', `\`spark list --json\`, ${at}`, () => ({ ...spark('list', '--json'), check: listCheck(largest, databases) }), 2, true);
    await measure(`list-table-${largest}`, `\`spark list\` (table), ${at}`, () => spark('list'), settings.largeRuns, true);
    await measure(`status-${largest}`, `\`spark status ${seedName(0)}\`, ${at}`, () => spark('status', seedName(0)), settings.largeRuns, true);
    const createName = (i: number): string => `bench-${runId}-${i}`;
    await measure(`create-${largest}`, `\`spark create --no-shell <name>\`, ${at}`, (i) => spark('create', '--no-shell', createName(i)), settings.lifecycleRuns, true);
    await measure(`delete-${largest}`, `\`spark delete --yes <name>\`, ${at}`, (i) => spark('delete', '--yes', createName(i)), settings.lifecycleRuns, true);
    await measure('', `${KUBECTL}, ${at} (reference)`, () => kubectl, 2, false);
    await measure('', `${FLOOR_WHAT}, ${at} (reference)`, () => floor, 2, false);
    // Whatever a failed create left (it should leave nothing; delete is asked again to be sure).
    for (let i = 0; i < settings.lifecycleRuns; i++) await exec(spark('delete', '--yes', createName(i)));

    results.notes.push(
      `Seeded sparks are the five objects \`sparkManifests\` makes, POSTed straight to the API server; the real controllers then made a ReplicaSet per Deployment and a volume per claim (hostPath provisioner) before anything was timed. The first ${RUNNING_CAP} run a pod kwok makes Ready (each asks 250m CPU of kwok's 8-CPU node); the others sleep (replicas 0, as \`spark sleep\` leaves them), so \`list\` reads every spark's objects without a pod per spark. The first ${LOAD_BALANCER_CAP} Services are the LoadBalancer spark makes; the rest are the same object made headless (the test cluster's service range is a /24: 254 addresses). The control plane's controller-manager runs with \`--kube-api-qps=500\` (default 20) so the seeding settles in bench time.`,
      `The first ${settings.databases.toLocaleString('en-US')} seeded sparks also have a real database (through src/database, as \`spark create\` makes it); beyond that they have none: each database costs the server ~7.5 MB of disk and ~25 ms to make (BENCH_CLUSTER_DATABASES raises the cap).`,
      `Rounds: ${settings.startupRuns} for start-up, ${settings.runs} for list up to 1,000 sparks (after ${settings.warmup} warm-up rounds), ${settings.largeRuns} above (after 1), each round A B C alternated; at ${at}: ${settings.largeRuns} runs of list (table) and status, ${settings.lifecycleRuns} create + delete pairs, each under GNU time.`,
      `kubectl is the control plane's own (${results.kubectl}), with a warm discovery cache (KUBECACHEDIR), as on a user's machine; the floor script is bench/floor.mjs (node: and pg only): one GET of the Deployments and one PostgreSQL login + query, at once.`,
    );
  } catch (error) {
    results.notes.push(`The section stopped early: ${reasonOf(error)}`);
    log(`stopped early: ${reasonOf(error)}`);
  } finally {
    await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  results.seconds = Math.round((Date.now() - started) / 1000);
  results.loadAverage.end = loadavg().map((l) => Math.round(l * 100) / 100);
  return results;
}

/** A data directory for the local runtime (traversable: as root the embedded server runs as postgres). */
function makeLocal(): { base: string; dataDir: string } {
  const base = mkdtempSync(join(tmpdir(), 'spark-bench-local-'));
  chmodSync(base, 0o755);
  writeFileSync(join(base, 'config.json'), JSON.stringify({ SPARK_RUNTIME: 'local' }));
  return { base, dataDir: join(base, 'data') };
}

/** Stop the local runtime's embedded server and remove its files (as root its cluster lives under /var/lib/spark). */
async function removeLocal(local: { base: string; dataDir: string }): Promise<void> {
  let cluster: string | undefined;
  try {
    cluster = (JSON.parse(readFileSync(join(local.dataDir, 'embedded.json'), 'utf8')) as { cluster?: string }).cluster;
  } catch {
    // never started
  }
  await stopEmbedded(local.dataDir).catch(() => false);
  if (cluster?.startsWith(`${ROOT_BASE}/`)) rmSync(dirname(cluster), { recursive: true, force: true });
  rmSync(local.base, { recursive: true, force: true });
}
