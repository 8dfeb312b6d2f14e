import type { CheckReport } from '../../core/checks.js';
import { printable, printableLines } from '../printable.js';
import type { Ui } from '../ui.js';

const MARK = { ok: '✓', warn: '!', fail: '✗', skip: '-' } as const;

/** One ✓/✗ line per check, the fix under each problem; exit 1 when a blocking check failed. */
export function renderChecks(ui: Ui, report: CheckReport): void {
  ui.result(report, () =>
    report.checks
      .map((c) => {
        const paint = c.status === 'ok' ? ui.green : c.status === 'fail' ? ui.red : c.status === 'warn' ? ui.yellow : ui.dim;
        // Titles and details carry names and reasons from the servers: one printable line each.
        const lines = [`${paint(MARK[c.status])} ${printable(c.title)}${c.detail ? ui.dim(` — ${printable(c.detail)}`) : ''}`];
        if (c.fix && c.status !== 'ok') lines.push(`    fix: ${printableLines(c.fix).split('\n').join('\n         ')}`);
        return lines.join('\n');
      })
      .concat(report.ok ? ['', ui.green('All blocking checks passed.')] : ['', ui.red('Some checks failed; fix them and run again.')])
      .join('\n'),
  );
  if (!report.ok) process.exitCode = 1;
}
