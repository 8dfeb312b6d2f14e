/**
 * `spark admin rotate-password`: the seed's "Rotate Regularly", done for you. The spark role sets
 * its own new password (as a verifier). Sparks whose DATABASE_URL carries the old password stop
 * being able to log in, so they are named first and the rotation needs --yes.
 */
import { SparkError } from '../errors.js';
import { queryError } from './errors.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { generatePassword, scramVerifier } from './scram.js';
import type { DatabaseSettings } from './settings.js';
import { openSparkDatabases } from './sparks.js';

export interface RotateResult {
  role: string;
  /** Shown once. */
  password: string;
  /** Sparks whose DATABASE_URL still carries the old password. */
  affected: string[];
}

export async function rotatePassword(settings: DatabaseSettings, options: { yes?: boolean; newPassword?: string } = {}): Promise<RotateResult> {
  const databases = openSparkDatabases(settings);
  try {
    // Sparks with their own role (isolation mode) are untouched by the spark role's password.
    const affected = (await databases.list()).filter((d) => !d.tag?.role).map((d) => d.name);
    if (affected.length && !options.yes) {
      throw new SparkError(`${affected.length} spark(s) use the current password in their DATABASE_URL and would lose database access: ${affected.join(', ')}.`, {
        hint: 'Run again with --yes to rotate anyway, then update those sparks\' DATABASE_URL. Isolation mode "role" (PostgreSQL 16+) avoids this: each spark has its own role.',
        code: 'ROTATE_NEEDS_CONFIRMATION',
      });
    }
    const password = options.newPassword ?? generatePassword();
    await databases.exclusive((client) =>
      client.query(`ALTER ROLE ${quoteIdent(settings.user)} WITH PASSWORD ${quoteLiteral(scramVerifier(password))}`).catch((error: unknown) => {
        throw queryError(error, { operation: 'rotate', role: settings.user });
      }),
    );
    return { role: settings.user, password, affected };
  } finally {
    await databases.close();
  }
}
