/**
 * The one duration grammar of spark: flags (--timeout, --ttl, --since, `spark extend`) and settings
 * (SPARK_DEFAULT_TTL, SPARK_IDLE_TIMEOUT) all read durations here.
 *
 * A number with a unit — ms, s, m, h, d (days), w (weeks) — or several in a row (1h30m, 1d12h); a
 * bare number is seconds. Zero and negative durations are refused: nothing spark waits for, keeps or
 * extends can last no time (SPARK_IDLE_TIMEOUT's "0 = never" is that setting's own word, see
 * parseIdleTimeout).
 */
import { usageError, type SparkError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?/g;

export const DURATION_EXAMPLES = '30m, 2h or 7d (units ms, s, m, h, d, w; combined like 1h30m)';

/** Milliseconds, or why the text is no duration (in words that follow "is invalid: "). */
export function readDuration(text: string): number | { problem: string } {
  const trimmed = text.trim();
  if (/^-\d/.test(trimmed)) return { problem: 'a duration cannot be negative' };
  const parts = [...trimmed.matchAll(PART)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== trimmed) return { problem: `it is not a duration like ${DURATION_EXAMPLES}` };
  const ms = parts.reduce((total, [, n, unit]) => total + Number(n) * UNITS[unit ?? 's']!, 0);
  if (ms <= 0) return { problem: 'a duration must be longer than zero' };
  if (!Number.isSafeInteger(Math.round(ms)) || ms > 100 * 365 * UNITS.d!) return { problem: 'a duration must be at most 100 years' };
  return Math.round(ms);
}

/**
 * "90s", "5m", "1h30m", "7d" or plain seconds → milliseconds. A usage error (exit 2) otherwise, naming
 * `what` (e.g. "--ttl") and the fix.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const result = readDuration(text);
  if (typeof result === 'number') return result;
  throw durationError(text, what, result.problem);
}

function durationError(text: string, what: string, problem: string): SparkError {
  const label = what === 'duration' ? 'Invalid duration' : `Invalid ${what}`;
  return usageError(`${label} ${JSON.stringify(text)}: ${problem}.`, `Give a duration such as ${DURATION_EXAMPLES}.`);
}

/** SPARK_IDLE_TIMEOUT: a duration, or "0" (any zero like 0s, 0h) for never. Undefined means never. */
export function readIdleTimeout(text: string): number | undefined | { problem: string } {
  if (/^0+(?:\.0+)?(ms|s|m|h|d|w)?$/.test(text.trim())) return undefined;
  return readDuration(text);
}
