import { describeExpiry, extendSpark } from '../../core/expiry.js';
import { applyReap, dryRun, planReap, type ReapDecision, type ReapOutcome, type ReapPolicy } from '../../core/reap.js';
import type { Backend } from '../../core/backend.js';
import { knownBackendKinds, locateSpark, openBackend, requireRuntime, reservedNames } from '../../backends.js';
import type { Config } from '../../config/index.js';
import { parseDuration, readIdleTimeout } from '../../duration.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { printable } from '../printable.js';
import { updateNames } from '../name-cache.js';
import { stderr } from '../terminal.js';

export async function extendCommand(ctx: Context, name: string, duration: string): Promise<void> {
  validateName(name);
  const durationMs = parseDuration(duration, 'duration for extend');
  const config = await ctx.config();
  validateName(name, reservedNames(config));
  const backend = await openBackend(await locateSpark(name, config), config);
  try {
    const result = await extendSpark(backend, name, durationMs);
    ctx.ui.result(result, () => `${result.name} now expires ${describeExpiry(result.expiresAt)} (${result.expiresAt})${result.previous ? `; it was ${describeExpiry(result.previous)}` : '; it had no expiry'}.`);
  } finally {
    await backend.close();
  }
}

/** SPARK_IDLE_TIMEOUT as the reap policy reads it (the setting was validated when the config loaded). */
export function reapPolicy(config: Config, force = false): ReapPolicy {
  const idle = readIdleTimeout(config.get('SPARK_IDLE_TIMEOUT') ?? '2h');
  return { idleTimeoutMs: typeof idle === 'number' ? idle : undefined, force };
}

const VERB: Record<ReapDecision['action'], { done: string; planned: string; failed: string }> = {
  delete: { done: 'deleted', planned: 'would delete', failed: 'NOT deleted' },
  sleep: { done: 'slept', planned: 'would sleep', failed: 'NOT slept' },
  keep: { done: 'kept', planned: 'would keep', failed: 'kept' },
};

/**
 * `spark reap`: plan every backend first (if one cannot be listed, nothing at all is done), then
 * apply the plan spark by spark. Exit 1 when an action failed.
 */
export async function reapCommand(ctx: Context, options: { dryRun: boolean; force: boolean }): Promise<void> {
  const { ui } = ctx;
  const config = await ctx.config();
  const kinds = await knownBackendKinds(config);
  if (!kinds.length) await requireRuntime(config);
  const policy = reapPolicy(config, options.force);
  const backends: Backend[] = [];
  try {
    for (const kind of kinds) backends.push(await openBackend(kind, config));
    const plans = await Promise.all(backends.map((b) => planReap(b, policy)));
    const outcomes: ReapOutcome[] = [];
    for (const [i, backend] of backends.entries()) {
      if (options.dryRun) {
        outcomes.push(...dryRun(plans[i]!));
        continue;
      }
      const step = plans[i]!.some((d) => d.action !== 'keep') ? await ui.step(`Reaping ${backend.kind} sparks`) : undefined;
      outcomes.push(
        ...(await applyReap(backend, plans[i]!, policy, (o) => {
          if (o.action !== 'keep') step?.update(`${o.name}: ${o.error ? VERB[o.action].failed : VERB[o.action].done}`);
        })),
      );
      step?.succeed(`Reaped ${backend.kind} sparks`);
    }
    const deleted = outcomes.filter((o) => o.action === 'delete' && o.done).map((o) => o.name);
    if (deleted.length) updateNames([], deleted);
    const showRuntime = kinds.length > 1;
    ui.result({ dryRun: options.dryRun, actions: outcomes.map(({ name, runtime, action, reason, done, error }) => ({ name, runtime, action, reason, done, error })) }, () => {
      if (!outcomes.length) return ui.dim('No sparks.');
      return outcomes
        .map((o) => {
          const verb = options.dryRun ? VERB[o.action].planned : o.error ? VERB[o.action].failed : VERB[o.action].done;
          const paint = o.error ? ui.red : o.action === 'keep' ? (s: string) => s : ui.bold;
          // Reasons and errors quote servers: one printable line each, painted afterwards.
          const line = `${o.name}${showRuntime ? ` (${o.runtime})` : ''}: ${o.reason}${o.error ? ` — failed: ${o.error}` : ''}`;
          return `${paint(verb)} ${printable(line)}`;
        })
        .join('\n');
    });
    // One document on stdout even then: each failed action carries its error; the exit code says it.
    const failed = outcomes.filter((o) => o.error);
    if (failed.length) {
      if (!ui.json) stderr.write(`error: ${failed.length === 1 ? '1 action' : `${failed.length} actions`} of reap failed (see above).\nfix: Fix the cause and run spark reap again: it does only what is still due.\n`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
}
