/**
 * SCRAM-SHA-256 verifiers computed client-side, like psql's \password: the server stores (and logs,
 * with log_statement=all) only the verifier, never the clear password. RFC 5802 / RFC 7677.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_ITERATIONS = 4096;

const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;

/**
 * SASLprep as far as it changes real passwords: ASCII is left alone (PostgreSQL's fast path);
 * otherwise RFC 4013 mapping and NFKC — the same the `pg` driver applies when it logs in.
 */
export function saslprep(password: string): string {
  if (/^[\x00-\x7F]*$/.test(password)) return password;
  return password.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
}

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(Buffer.from(saslprep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, accepted by CREATE/ALTER ROLE … PASSWORD. */
export function scramVerifier(password: string, options: { salt?: Buffer; iterations?: number } = {}): string {
  const salt = options.salt ?? randomBytes(16);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const { storedKey, serverKey } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Does `password` match a stored verifier (pg_authid.rolpassword)? Lets setup-db stay a no-op. */
export function verifierMatches(verifier: string | null | undefined, password: string): boolean {
  const m = verifier ? VERIFIER.exec(verifier) : null;
  if (!m) return false;
  const { storedKey, serverKey } = keys(password, Buffer.from(m[2]!, 'base64'), Number(m[1]));
  const expected = Buffer.concat([Buffer.from(m[3]!, 'base64'), Buffer.from(m[4]!, 'base64')]);
  const actual = Buffer.concat([storedKey, serverKey]);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The seed's `openssl rand -base64 32`, URL-safe so it needs no escaping anywhere. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}
