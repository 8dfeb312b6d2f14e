import { usageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "5m", "1h30m" or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)?/g)];
  const whole = parts.map((p) => p[0]).join('');
  if (!parts.length || whole !== text) {
    throw usageError(`Invalid duration ${JSON.stringify(text)}.`, 'Use e.g. 90s, 5m or 1h30m.');
  }
  return parts.reduce((total, [, n, unit]) => total + Number(n) * UNITS[unit ?? 's']!, 0);
}
