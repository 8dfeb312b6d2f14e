/**
 * SQL as data: a plan is a list of statements with what each does, built by pure functions and run
 * by one executor — so `--print-sql` shows exactly what would run, and tests can read the plan.
 */
export interface SqlStep {
  /** What the statement does, in words shown to the user ("create role spark"). */
  description: string;
  sql: string;
  /** Bind parameters; utility statements (CREATE/ALTER ROLE, GRANT, COMMENT) cannot take any. */
  params?: unknown[];
}

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Run `work` in a transaction: committed if it succeeds, rolled back if it throws. */
export async function inTransaction<T>(client: Queryable, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Run each step as its own query: CREATE/DROP DATABASE refuse to run inside a transaction block
 * or a multi-statement string (25001). `transaction` wraps steps that allow it, all or nothing.
 */
export async function executePlan(client: Queryable, plan: SqlStep[], options: { transaction?: boolean; onStep?: (step: SqlStep) => void } = {}): Promise<void> {
  if (plan.length === 0) return;
  const run = async (): Promise<void> => {
    for (const step of plan) {
      options.onStep?.(step);
      await client.query(step.sql, step.params);
    }
  };
  await (options.transaction ? inTransaction(client, run) : run());
}

/** The plan as a psql script. Only parameter-free plans can be printed. */
export function renderPlan(plan: SqlStep[]): string {
  return plan
    .map((step) => {
      if (step.params?.length) throw new Error(`Step "${step.description}" has parameters and cannot be printed.`);
      return `-- ${step.description}\n${step.sql};\n`;
    })
    .join('\n');
}
