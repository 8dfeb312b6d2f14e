/** The run's figures as markdown (printed, and the README snippet) and as JSON (bench/results.json). */
import type { Machine } from './machine.js';
import type { Summary } from './stats.js';

export type Verdict = 'ok' | 'over' | 'fail' | 'info' | 'unavailable';

export interface TimingRow {
  id: string;
  what: string;
  summary?: Summary;
  reference?: { what: string; summary: Summary };
  ratio?: number;
  budget?: string;
  verdict: Verdict;
  note?: string;
}

export interface StepRow {
  step: string;
  medianMs: number;
  /** In how many of the runs the step appeared. */
  seen: number;
}

export interface MemoryRow {
  command: string;
  peakMiB?: number;
  runs: number;
  budget?: string;
  verdict: Verdict;
  note?: string;
}

export interface GrowthRow {
  sparks: number;
  databases: number;
  spark?: Summary;
  kubectl?: Summary;
  sparkApiCalls?: number;
  sparkApiCallsByKind?: Record<string, number>;
  kubectlApiCalls?: number;
  note?: string;
}

export interface ScaleRow {
  what: string;
  value: string;
  verdict: Verdict;
}

export interface Results {
  machine: Machine;
  settings: Record<string, unknown>;
  timings: TimingRow[];
  breakdown: { runs: number; totalMedianMs: number; steps: StepRow[] } | { unavailable: string };
  memory: MemoryRow[];
  growth: GrowthRow[] | { unavailable: string };
  scale: ScaleRow[];
  notes: string[];
  /** `npm run bench -- cluster`: the budgets of issue 17 on the real control plane (bench/cluster.ts). */
  cluster?: ClusterResults;
}

export interface ClusterGrowthRow {
  sparks: number;
  /** Seeded sparks with a Ready pod (the others sleep: replicas 0). */
  running: number;
  databases: number;
  spark?: Summary;
  kubectl?: Summary;
  floor?: Summary;
  note?: string;
}

export interface ClusterResults {
  date: string;
  /** e.g. "Kubernetes v1.34.4 (kube-apiserver, etcd, controller-manager, scheduler, kwok)". */
  controlPlane: string;
  kubectl: string;
  postgres: string;
  settings: Record<string, unknown>;
  timings: TimingRow[];
  growth: ClusterGrowthRow[];
  memory: MemoryRow[];
  notes: string[];
  seconds: number;
  loadAverage: { start: number[]; end: number[] };
}

const MARK: Record<Verdict, string> = { ok: '✓', over: '✗ over budget', fail: '✗ failed', info: '', unavailable: '—' };

export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function times(r: number | undefined): string {
  return r === undefined || Number.isNaN(r) ? '—' : `${r.toFixed(2)}×`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function timingTable(timings: TimingRow[]): string {
  return table(
    ['what', 'median', 'min', 'max', 'n', 'reference', 'ref. median', 'ref. min–max', 'ratio', 'budget', 'result'],
    timings.map((t) =>
      t.verdict === 'unavailable'
        ? [t.what, `not available: ${t.note ?? ''}`, '', '', '', t.reference?.what ?? '', '', '', '', t.budget ?? '', MARK.unavailable]
        : [
          t.what,
          ms(t.summary?.median),
          ms(t.summary?.min),
          ms(t.summary?.max),
          String(t.summary?.n ?? ''),
          t.reference?.what ?? '',
          ms(t.reference?.summary.median),
          t.reference ? `${ms(t.reference.summary.min)}–${ms(t.reference.summary.max)}` : '',
          times(t.ratio),
          t.budget ?? '',
          `${MARK[t.verdict]}${t.note ? ` ${t.note}` : ''}`.trim(),
        ],
    ),
  );
}

function memoryTable(memory: MemoryRow[]): string {
  return table(
    ['command', 'peak RSS', 'runs', 'budget', 'result'],
    memory.map((m) => [m.command, m.peakMiB === undefined ? `not available: ${m.note ?? ''}` : `${m.peakMiB.toFixed(1)} MiB`, String(m.runs), m.budget ?? '', m.peakMiB === undefined ? MARK.unavailable : `${MARK[m.verdict]}${m.note ? ` ${m.note}` : ''}`.trim()]),
  );
}

const ratioOf = (a: Summary | undefined, b: Summary | undefined): string => (a && b ? times(a.median / b.median) : '—');

/** The real-control-plane section (bench/cluster.ts) as markdown. */
export function renderCluster(c: ClusterResults): string {
  const out: string[] = [
    '## Real control plane (issue 17 budgets)',
    '',
    `${c.date.slice(0, 10)}: ${c.controlPlane}; kubectl ${c.kubectl}; PostgreSQL ${c.postgres}. Took ${c.seconds} s; load average ${c.loadAverage.start.join(' ')} at start, ${c.loadAverage.end.join(' ')} at end.`,
    '',
    '### Timings (spawn to exit)',
    '',
    timingTable(c.timings),
    '',
    '### `spark list --json` as the number of sparks grows',
    '',
    table(
      ['sparks', 'running', 'with databases', '`spark list --json`', '`kubectl get deployments -o json`', 'floor script', 'spark ÷ kubectl', 'spark ÷ floor', 'note'],
      c.growth.map((g) => [String(g.sparks), String(g.running), String(g.databases), ms(g.spark?.median), ms(g.kubectl?.median), ms(g.floor?.median), ratioOf(g.spark, g.kubectl), ratioOf(g.spark, g.floor), g.note ?? '']),
    ),
    '',
    '### Peak memory (maximum resident set size)',
    '',
    memoryTable(c.memory),
    '',
  ];
  if (c.notes.length) out.push('### Notes', '', ...c.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

export function describeMachineLine(m: Machine): string {
  const pg = Object.entries(m.postgres).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node}; kubectl ${m.kubectl ?? 'absent'}; PostgreSQL ${pg}; ${m.date.slice(0, 10)}${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (uncommitted changes)' : ''}` : ''}; load average at start ${m.loadAverageAtStart.join(' ')}`;
}

export function renderMarkdown(results: Results): string {
  const out: string[] = ['## spark benchmarks', '', `Machine: ${describeMachineLine(results.machine)}.`, ''];

  out.push('### Timings (spawn to exit, milliseconds)', '', timingTable(results.timings), '');

  out.push("### `spark create --no-shell`: where the time goes (from stderr progress lines' arrival times)", '');
  if ('unavailable' in results.breakdown) out.push(`not available: ${results.breakdown.unavailable}`, '');
  else {
    const b = results.breakdown;
    out.push(
      table(
        ['step (interval starting at this line)', 'median', 'share', 'seen in'],
        b.steps.map((s) => [s.step, ms(s.medianMs), b.totalMedianMs ? `${Math.round((s.medianMs / b.totalMedianMs) * 100)}%` : '', `${s.seen}/${b.runs}`]),
      ),
      '',
      `Whole process, median of ${b.runs}: ${ms(b.totalMedianMs)}.`,
      '',
    );
  }

  out.push('### Peak memory (maximum resident set size)', '', memoryTable(results.memory), '');

  out.push('### `spark list` as the number of sparks grows', '');
  if (!Array.isArray(results.growth)) out.push(`not available: ${results.growth.unavailable}`, '');
  else {
    out.push(
      table(
        ['sparks', 'with databases', '`spark list --json` median', '`kubectl get deployments` median', 'ratio', 'API calls by spark list', 'API calls by kubectl', 'note'],
        results.growth.map((g) => [
          String(g.sparks),
          String(g.databases),
          ms(g.spark?.median),
          ms(g.kubectl?.median),
          g.spark && g.kubectl ? times(g.spark.median / g.kubectl.median) : '—',
          g.sparkApiCalls === undefined ? '—' : String(g.sparkApiCalls),
          g.kubectlApiCalls === undefined ? '—' : String(g.kubectlApiCalls),
          g.note ?? '',
        ]),
      ),
      '',
    );
  }

  out.push('### Scale', '');
  out.push(table(['what', 'result', ''], results.scale.map((s) => [s.what, s.value, MARK[s.verdict]])), '');

  if (results.notes.length) out.push('### Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  if (results.cluster) out.push(renderCluster(results.cluster));
  return out.join('\n');
}

/** The ready-to-paste Performance section of the main README. */
export function renderSnippet(results: Results): string {
  const m = results.machine;
  const c = results.cluster;
  const snippetRow = (t: TimingRow): string[] =>
    t.verdict === 'unavailable'
      ? [t.what, 'not measured yet', t.reference?.what ?? '', '—', t.budget ?? '']
      : [t.what, ms(t.summary?.median), t.reference ? `${t.reference.what}: ${ms(t.reference.summary.median)}` : '', t.ratio === undefined ? '—' : times(t.ratio), `${t.budget ?? ''} ${MARK[t.verdict]}`.trim()];
  // The real control plane's figures supersede the fake's for start-up, list, create and delete.
  const superseded = (id: string): boolean => !!c && (id === 'version' || id.startsWith('list-'));
  const rows = results.timings.filter((t) => !superseded(t.id)).map(snippetRow);
  const memory = results.memory.filter((x) => x.peakMiB !== undefined && x.budget && (!c || !/list|create|delete/.test(x.command)));
  const lines = ['## Performance', ''];
  if (c) lines.push(...clusterSnippet(c), '', '### Create, delete and the database layer (fake API server)', '');
  lines.push(
    `Measured with \`npm run bench\` on ${m.date.slice(0, 10)}: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, kubectl ${m.kubectl ?? '—'}, PostgreSQL ${Object.values(m.postgres).join(' and ') || '—'}.`,
    'Each figure is the median wall time of the whole process (spawn to exit), runs alternated with the reference after a warm-up; the cluster is the project\'s fake Kubernetes API server on loopback (pods ready at once), PostgreSQL is real.',
    '',
    table(['what', 'spark (median)', 'reference (median)', 'ratio', 'budget'], rows),
    '',
  );
  if (memory.length) {
    lines.push(`Peak memory (maximum RSS; budget 150 MB): ${memory.map((x) => `${x.command} ${x.peakMiB!.toFixed(0)} MiB${x.verdict === 'over' ? ' ✗' : ''}`).join(', ')}.`, '');
  }
  const scale = results.scale.filter((s) => s.verdict !== 'unavailable');
  if (scale.length) lines.push(...scale.map((s) => `- ${s.what}: ${s.value}`), '');
  lines.push('Full table, machine details and raw figures: `bench/results.json` (regenerate with `npm run bench`; the real control plane alone with `npm run bench -- cluster`).', '');
  return lines.join('\n');
}

/** The real control plane's part of the README's Performance section. */
function clusterSnippet(c: ClusterResults): string[] {
  const memory = c.memory.filter((x) => x.peakMiB !== undefined);
  return [
    '### On a real control plane',
    '',
    `Measured with \`npm run bench -- cluster\` on ${c.date.slice(0, 10)} (${c.seconds} s; load average ${c.loadAverage.start[0]} at start, ${c.loadAverage.end[0]} at end): ${c.controlPlane}; kubectl ${c.kubectl}; PostgreSQL ${c.postgres}.`,
    'Median wall time of the whole process (spawn to exit), runs alternated with the reference after a warm-up. The floor script (`bench/floor.mjs`, node: and pg only) reads the kubeconfig, GETs the spark Deployments and logs in to PostgreSQL and queries, at once: the least a Node CLI can do for `spark list --json`.',
    `Rounds: ${String(c.settings.runs)} up to 1,000 sparks, fewer above (${String(c.settings.largeRuns)} of list, table and status; ${String(c.settings.lifecycleRuns)} create + delete pairs). Seeded sparks are spark's own objects, made by the real controllers into ReplicaSets and bound volumes before timing; ${String(c.settings.runningCap)} run a Ready pod, the rest sleep (replicas 0), the first ${Number(c.settings.databases).toLocaleString('en-US')} have a database (bench/README.md says why).`,
    '',
    table(['what', 'spark (median)', 'reference (median)', 'ratio', 'budget'], c.timings.map((t) =>
      t.verdict === 'unavailable'
        ? [t.what, `not available: ${t.note ?? ''}`, t.reference?.what ?? '', '—', t.budget ?? '']
        : [t.what, ms(t.summary?.median), t.reference ? `${t.reference.what}: ${ms(t.reference.summary.median)}` : '', t.ratio === undefined ? '—' : times(t.ratio), `${t.budget ?? ''} ${MARK[t.verdict]}${t.verdict === 'fail' && t.note ? ` ${t.note}` : ''}`.trim()])),
    '',
    table(
      ['sparks', 'running', 'with a database', '`spark list --json`', 'kubectl', 'floor script', 'spark ÷ kubectl', 'spark ÷ floor'],
      c.growth.map((g) => [g.sparks.toLocaleString('en-US'), String(g.running), g.databases.toLocaleString('en-US'), ms(g.spark?.median), ms(g.kubectl?.median), ms(g.floor?.median), ratioOf(g.spark, g.kubectl), ratioOf(g.spark, g.floor)]),
    ),
    '',
    `Peak memory (maximum RSS, budget 150 MiB for every spark command): ${memory.map((x) => `${x.command} ${x.peakMiB!.toFixed(0)} MiB${x.verdict === 'ok' ? ' ✓' : x.verdict === 'over' ? ' ✗' : ''}`).join('; ')}.`,
  ];
}
