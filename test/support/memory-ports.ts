/**
 * In-memory implementations of the two ports (src/core/ports.ts), for the use-cases' own tests
 * (test/core/): what create and delete decide, step by step, without a subprocess, a server or a
 * cluster. Each operation can be made to fail (`fail`) or to wait for the test (`hold`); the
 * black-box and adapter tests prove the real adapters behave as these do.
 */
import { stillInFlight } from '../../src/core/inflight.js';
import type { Backend } from '../../src/core/backend.js';
import type {
  CheckResult, CreatedDatabase, DatabaseProvisioner, DeleteReport, InFlight, Runtime, RuntimeCapabilities, RuntimeKind, RuntimeSpark, RuntimeStatus,
  ShellInvocation, SparkDatabase, SparkSpec, WaitOptions,
} from '../../src/core/ports.js';
import { interrupted, SparkError } from '../../src/errors.js';

type Outcome = Error | (() => Promise<void>);

/** Faults and holds by operation name: an Error is thrown; a function is awaited first (a hold). */
class Script<Op extends string> {
  private readonly plans = new Map<Op, Outcome[]>();
  /** Every call, in order, e.g. "claim brave-dolphin". */
  readonly calls: string[] = [];

  fail(op: Op, error: Error, times = Infinity): void {
    this.plans.set(op, Array.from({ length: Math.min(times, 100) }, () => error));
  }

  hold(op: Op, until: () => Promise<void>): void {
    this.plans.set(op, [until]);
  }

  async step(op: Op, subject: string): Promise<void> {
    this.calls.push(`${op} ${subject}`);
    const next = this.plans.get(op)?.shift();
    if (next instanceof Error) throw next;
    if (next) await next();
  }
}

export type RuntimeOp = 'claim' | 'create' | 'waitReady' | 'list' | 'exists' | 'status' | 'delete' | 'databaseOf' | 'creating';

interface StoredSpark {
  spec: SparkSpec;
  /** Objects besides the claim were made. */
  complete: boolean;
  inFlight?: InFlight;
}

export class MemoryRuntime implements Runtime {
  readonly capabilities: RuntimeCapabilities = {};
  readonly sparks = new Map<string, StoredSpark>();
  readonly script = new Script<RuntimeOp>();
  /** What waitReady does: resolve, time out (the spark is kept), fail fatally, or wait until aborted. */
  readiness: 'ready' | 'timeout' | 'fatal' | 'until-aborted' = 'ready';
  private readonly gone = new Map<string, Array<() => void>>();

  constructor(readonly kind: RuntimeKind = 'kubernetes') {}

  async claim(spec: SparkSpec): Promise<void> {
    await this.script.step('claim', spec.name);
    if (this.sparks.has(spec.name)) throw new SparkError(`A spark named "${spec.name}" already exists.`, { code: 'NAME_TAKEN' });
    this.sparks.set(spec.name, { spec, complete: false, inFlight: spec.inFlight });
  }

  async create(spec: SparkSpec): Promise<void> {
    await this.script.step('create', spec.name);
    const spark = this.sparks.get(spec.name);
    if (spark) spark.complete = true;
  }

  async waitReady(name: string, options: WaitOptions): Promise<RuntimeSpark> {
    await this.script.step('waitReady', name);
    if (this.readiness === 'timeout') throw new SparkError(`Spark ${name} was not ready within ${options.timeoutMs} ms.`, { code: 'READY_TIMEOUT' });
    if (this.readiness === 'fatal') throw new SparkError(`Spark ${name} cannot pull its image.`, { code: 'READY_IMAGE_PULL' });
    if (this.readiness === 'until-aborted') {
      await new Promise<void>((resolve) => (options.signal?.aborted ? resolve() : options.signal?.addEventListener('abort', () => resolve(), { once: true })));
      throw interrupted('Interrupted.');
    }
    return this.spark(name)!;
  }

  private spark(name: string): RuntimeSpark | undefined {
    const stored = this.sparks.get(name);
    if (!stored) return undefined;
    return { name, runtime: this.kind, state: stored.complete ? 'Running' : 'Incomplete', createdAt: stored.spec.createdAt, ssh: `ssh user@spark-${name}` };
  }

  async list(): Promise<RuntimeSpark[]> {
    await this.script.step('list', '*');
    return [...this.sparks.keys()].map((name) => this.spark(name)!);
  }

  async exists(name: string): Promise<boolean> {
    await this.script.step('exists', name);
    return this.sparks.has(name);
  }

  async status(name: string): Promise<RuntimeStatus | undefined> {
    await this.script.step('status', name);
    const spark = this.spark(name);
    return spark && { ...spark, objects: [{ kind: 'Claim', name, exists: true }], events: [] };
  }

  async delete(name: string): Promise<DeleteReport> {
    await this.script.step('delete', name);
    if (!this.sparks.delete(name)) return { removed: [], left: [] };
    for (const resolve of this.gone.get(name) ?? []) resolve();
    this.gone.delete(name);
    return { removed: [`objects of ${name}`], left: [] };
  }

  async shell(name: string, command: string[]): Promise<ShellInvocation> {
    return { program: 'ssh', args: [`user@spark-${name}`, ...command] };
  }

  async checks(): Promise<CheckResult[]> {
    return [{ id: 'runtime', title: 'In memory', status: 'ok' }];
  }

  async databaseOf(name: string): Promise<string | undefined> {
    await this.script.step('databaseOf', name);
    return this.sparks.get(name)?.spec.databaseName;
  }

  async creating(name: string): Promise<InFlight | undefined> {
    await this.script.step('creating', name);
    const mark = this.sparks.get(name)?.inFlight;
    return stillInFlight(mark) ? mark : undefined;
  }

  async markCreated(name: string): Promise<void> {
    const spark = this.sparks.get(name);
    if (spark) delete spark.inFlight;
  }

  claimGone(name: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (!this.sparks.has(name) || signal.aborted) return resolve();
      this.gone.set(name, [...(this.gone.get(name) ?? []), resolve]);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}

export type DatabaseOp = 'plan' | 'create' | 'drop' | 'list' | 'get';

export class MemoryDatabases implements DatabaseProvisioner {
  readonly databases = new Map<string, SparkDatabase>();
  readonly script = new Script<DatabaseOp>();

  async plan(name: string): Promise<CreatedDatabase> {
    await this.script.step('plan', name);
    return { databaseName: name, databaseUrl: `postgresql://spark:memory-password@db:5432/${name}` };
  }

  async create(plan: CreatedDatabase, options: { createdAt: string }): Promise<void> {
    await this.script.step('create', plan.databaseName);
    if (this.databases.has(plan.databaseName)) throw new SparkError(`Database ${plan.databaseName} exists.`, { code: 'NAME_TAKEN' });
    this.databases.set(plan.databaseName, { name: plan.databaseName, owner: 'spark', ours: true, createdAt: options.createdAt });
  }

  async drop(name: string): Promise<'dropped' | 'absent'> {
    await this.script.step('drop', name);
    return this.databases.delete(name) ? 'dropped' : 'absent';
  }

  async list(): Promise<SparkDatabase[]> {
    await this.script.step('list', '*');
    return [...this.databases.values()].filter((d) => d.ours);
  }

  async get(name: string): Promise<SparkDatabase | undefined> {
    await this.script.step('get', name);
    return this.databases.get(name);
  }

  async checks(): Promise<CheckResult[]> {
    return [{ id: 'db-connection', title: 'In memory', status: 'ok' }];
  }

  async close(): Promise<void> {}
}

export interface MemoryBackend extends Backend {
  runtime: MemoryRuntime;
  databases: MemoryDatabases;
}

export function memoryBackend(kind: RuntimeKind = 'kubernetes'): MemoryBackend {
  return { kind, runtime: new MemoryRuntime(kind), databases: new MemoryDatabases(), close: async () => {} };
}

/** A promise and the function that settles it: for holds the test releases. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
