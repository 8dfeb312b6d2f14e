import { doctor } from '../../core/checks.js';
import { configChecks, knownBackendKinds, openBackend } from '../../backends.js';
import type { CheckReport } from '../../core/checks.js';
import type { Context } from '../context.js';
import { renderChecks } from './render.js';
import { reapPolicy } from './expiry.js';

export async function doctorCommand(ctx: Context): Promise<void> {
  const config = await ctx.config();
  const kinds = await knownBackendKinds(config);
  const combined: CheckReport = { checks: [], ok: true };
  if (kinds.length === 0) {
    combined.checks.push({ id: 'runtime', title: 'A runtime is configured', status: 'fail', detail: 'no kubeconfig and no local sparks', fix: 'Use a cluster (KUBECONFIG / --context), or try locally: spark create --runtime local' });
    combined.ok = false;
  }
  for (const kind of kinds) {
    const backend = await openBackend(kind, config);
    try {
      const report = await doctor(backend, await configChecks(config, kind), config.get('POSTGRES_USER') ?? 'spark', reapPolicy(config));
      const label = kinds.length > 1 ? `[${kind}] ` : '';
      combined.checks.push(...report.checks.map((c) => ({ ...c, title: `${label}${c.title}` })));
      combined.ok &&= report.ok;
    } finally {
      await backend.close();
    }
  }
  renderChecks(ctx.ui, combined);
}
