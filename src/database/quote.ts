import { SparkError } from '../errors.js';

/** PostgreSQL silently truncates longer identifiers; we refuse instead (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The one identifier-quoting function. Always quotes, so case, `-` and keywords survive as written.
 * Names that come from users are validated (src/names) before they get here; this is the last guard.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new SparkError(`Invalid PostgreSQL identifier ${JSON.stringify(name)}.`, { code: 'DB_INVALID_IDENTIFIER' });
  }
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new SparkError(`PostgreSQL identifier ${JSON.stringify(name)} is longer than ${MAX_IDENTIFIER_BYTES} bytes and would be truncated.`, {
      hint: 'Use a shorter name.',
      code: 'DB_INVALID_IDENTIFIER',
    });
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal, only for utility statements that cannot take bind parameters
 * (CREATE/ALTER ROLE … PASSWORD, COMMENT ON). Same rules as libpq's PQescapeLiteral.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new SparkError('A SQL string literal cannot contain a NUL character.', { code: 'DB_INVALID_LITERAL' });
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
