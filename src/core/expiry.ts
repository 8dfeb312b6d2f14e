/**
 * A spark's expiry: the time after which `spark reap` may delete it (never with unsaved work, see
 * reap.ts). Given at create (`--ttl`, SPARK_DEFAULT_TTL) and pushed back by `spark extend`.
 */
import type { Backend } from './backend.js';
import { requireCapability } from './capabilities.js';
import { notFound } from './status.js';

/** The expiry of a spark created at `now` with this TTL. */
export function expiryAfter(now: Date, ttlMs: number): string {
  return new Date(now.getTime() + ttlMs).toISOString();
}

/**
 * `spark extend NAME DUR`: the new expiry is DUR after the current one, or after now when that is
 * later (an expired spark gets DUR from now, not what is left of a past time). A spark without an
 * expiry gets now + DUR.
 */
export function extendedExpiry(current: string | undefined, now: Date, durationMs: number): string {
  const from = Math.max(now.getTime(), current ? Date.parse(current) || 0 : 0);
  return new Date(from + durationMs).toISOString();
}

export interface ExtendResult {
  name: string;
  /** The expiry before, null when it had none. */
  previous: string | null;
  expiresAt: string;
}

export async function extendSpark(backend: Backend, name: string, durationMs: number, now: Date = new Date()): Promise<ExtendResult> {
  const status = await backend.runtime.status(name);
  if (!status) throw await notFound(backend, name);
  const expiry = requireCapability(backend.runtime, 'expiry');
  const expiresAt = extendedExpiry(status.expiresAt, now, durationMs);
  await expiry.setExpiry(name, expiresAt);
  return { name, previous: status.expiresAt ?? null, expiresAt };
}

/** "45s", "10m", "3h", "2d": the largest whole unit, as `spark list`'s AGE. */
export function span(ms: number): string {
  const seconds = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** "in 3h", "expired 10m ago", or "—" without an expiry. */
export function describeExpiry(expiresAt: string | null | undefined, now: number = Date.now()): string {
  if (!expiresAt) return '—';
  const left = Date.parse(expiresAt) - now;
  if (Number.isNaN(left)) return '—';
  return left > 0 ? `in ${span(left)}` : `expired ${span(-left)} ago`;
}

export function isExpired(expiresAt: string | null | undefined, now: number): boolean {
  return Boolean(expiresAt) && Date.parse(expiresAt!) <= now;
}
