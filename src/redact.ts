/**
 * The single redaction step. Every byte spark writes to stdout or stderr passes through
 * `redact` (installed over process.stdout/stderr.write in main), so no password, token or
 * API key can leave the process, whatever code path produced the text.
 */
const secrets = new Set<string>();
const MASK = '***';

/** Remember a value that must never be printed. Short values are ignored: they would mask ordinary words. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  // The same secret may be printed in encoded forms (URLs, base64 in Secrets).
  secrets.add(encodeURIComponent(value));
  secrets.add(Buffer.from(value).toString('base64'));
}

export function forgetSecretsForTests(): void {
  secrets.clear();
}

// scheme://user:password@host → scheme://user:***@host
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi;
// conninfo and query-string forms: password=secret
const KEY_VALUE_PASSWORD = /\b(password|passwd|pwd)=([^\s&'"]+)/gi;

export function redact(text: string): string {
  let out = text;
  if (secrets.size > 0) {
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
  }
  out = out.replace(URL_PASSWORD, (_m, head: string, pass: string) => (pass === MASK ? `${head}${pass}@` : `${head}${MASK}@`));
  out = out.replace(KEY_VALUE_PASSWORD, (_m, key: string) => `${key}=${MASK}`);
  return out;
}

/** Mask a secret for display while keeping its recognisable prefix: sk-ant-api03-… → sk-ant-***. */
export function maskSecret(value: string): string {
  const prefix = /^(sk-ant-|github_pat_|gh[pousr]_)/.exec(value)?.[1];
  return prefix ? `${prefix}${MASK}` : MASK;
}

type Write = typeof process.stdout.write;

/** Route every write of a stream through `redact`. Idempotent. */
export function guardStream(stream: NodeJS.WriteStream): void {
  const marked = stream as NodeJS.WriteStream & { __sparkGuarded?: boolean };
  if (marked.__sparkGuarded) return;
  marked.__sparkGuarded = true;
  const original = stream.write.bind(stream) as Write;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    return (original as (c: string, ...r: unknown[]) => boolean)(redact(text), ...rest);
  }) as Write;
}
