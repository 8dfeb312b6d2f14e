import { randomInt } from 'node:crypto';
import { usageError } from '../errors.js';
import { ADJECTIVES, NOUNS } from './words.js';

/** `spark-<name>` must fit a 63-character DNS label, and `<name>-storage` must fit too. */
export const MAX_NAME_LENGTH = 57;

export function generateName(pick: (n: number) => number = randomInt): string {
  return `${ADJECTIVES[pick(ADJECTIVES.length)]}-${NOUNS[pick(NOUNS.length)]}`;
}

/**
 * Names of PostgreSQL's own databases and roles and of spark's defaults (POSTGRES_DB, POSTGRES_USER):
 * a spark of that name would be their database, so no command treats them as sparks.
 */
export const RESERVED_NAMES: readonly string[] = ['postgres', 'template0', 'template1', 'homelab', 'spark'];

/** The first rule a name breaks, in words a user can act on; undefined when the name is valid. */
export function nameProblem(name: string, reserved: readonly string[] = []): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (RESERVED_NAMES.includes(name) || reserved.includes(name)) return 'it is the name of a system or configuration database or role (POSTGRES_DB, POSTGRES_USER)';
  if (name.length > MAX_NAME_LENGTH) return `it is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH} so that "spark-${'<name>'}" fits a 63-character DNS label`;
  if (/[A-Z]/.test(name)) return 'it contains uppercase letters; use lowercase';
  if (!/^[a-z0-9-]+$/.test(name)) return 'it may contain only lowercase letters, digits and "-"';
  if (!/^[a-z]/.test(name)) return 'it must start with a letter';
  if (name.endsWith('-')) return 'it must not end with "-"';
  return undefined;
}

/** `reserved`: the configured POSTGRES_DB and POSTGRES_USER, refused like the built-in names. */
export function validateName(name: string, reserved: readonly string[] = []): string {
  const problem = nameProblem(name, reserved);
  if (problem) {
    throw usageError(
      `Invalid spark name ${JSON.stringify(name)}: ${problem}.`,
      'Use a DNS-1123 label like "brave-dolphin" (a-z, 0-9 and "-", starting with a letter, at most 57 characters), or omit the name to get a random one.',
    );
  }
  return name;
}
