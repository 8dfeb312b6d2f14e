/** The machine a run was measured on, recorded beside the figures (they mean little without it). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  kubectl: string | null;
  postgres: Record<string, string>;
  peakRss: 'gnu-time' | 'proc-vmhwm';
  gitCommit: string | null;
  gitDirty: boolean | null;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

function cpuModel(): string {
  const fromOs = cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function tryExec(file: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(file, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 15_000 }).trim();
  } catch {
    return null;
  }
}

export function kubectlVersion(): string | null {
  const json = tryExec('kubectl', ['version', '--client', '-o', 'json']);
  if (!json) return null;
  try {
    return (JSON.parse(json) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? null;
  } catch {
    return null;
  }
}

export function describeMachine(root: string, peakRss: Machine['peakRss']): Machine {
  const status = tryExec('git', ['status', '--porcelain'], root);
  return {
    date: new Date().toISOString(),
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    kubectl: kubectlVersion(),
    postgres: {},
    peakRss,
    gitCommit: tryExec('git', ['rev-parse', '--short', 'HEAD'], root),
    gitDirty: status === null ? null : status.length > 0,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
