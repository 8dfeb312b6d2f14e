import { hostname } from 'node:os';
import { processRunning } from '../process.js';
import type { InFlight } from './ports.js';

/** How long after its own timeout a create's mark still holds (its rollback, a slow API server). */
const MARGIN_MS = 60_000;

/** The mark of the create this process runs. */
export function inFlightMark(timeoutMs: number, now: Date): InFlight {
  return { host: hostname(), pid: process.pid, until: new Date(now.getTime() + timeoutMs + MARGIN_MS).toISOString() };
}

/**
 * Is the create that left this mark still running? Past its deadline it is not; on this machine a
 * create whose process is gone (kill -9) is not either, so its leftovers can be deleted at once.
 */
export function stillInFlight(mark: InFlight | undefined, now = new Date()): mark is InFlight {
  if (!mark) return false;
  const until = Date.parse(mark.until);
  if (!(until > now.getTime())) return false;
  if (mark.host !== hostname()) return true;
  return processRunning(mark.pid);
}

export function parseMark(text: string | undefined): InFlight | undefined {
  if (!text) return undefined;
  try {
    const mark = JSON.parse(text) as Partial<InFlight>;
    return typeof mark.host === 'string' && typeof mark.pid === 'number' && typeof mark.until === 'string' ? { host: mark.host, pid: mark.pid, until: mark.until } : undefined;
  } catch {
    return undefined;
  }
}

export function describeMark(mark: InFlight): string {
  return `pid ${mark.pid} on ${mark.host}, at most until ${mark.until}`;
}
