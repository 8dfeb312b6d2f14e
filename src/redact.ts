/**
 * The single redaction step. Every sink spark writes to (the terminal's stdout and stderr, and
 * any log file or HTTP response) is a RedactingWriter, so no password, token or API key can leave
 * the process through it, whatever code path produced the text. Secrets are registered here as
 * they become known (configuration, a generated password, a cluster token); every writer consults
 * the same registry.
 */
const secrets = new Set<string>();
const MASK = '***';

/** Remember a value that must never be printed. Short values are ignored: they would mask ordinary words. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  // The same secret may be printed in encoded forms (URLs, base64 in Secrets).
  secrets.add(encodeURIComponent(value));
  for (const form of base64Forms(Buffer.from(value))) secrets.add(form);
}

/**
 * The base64 text a secret becomes, wherever it sits in what is encoded: alone (a Secret's `data`
 * value), or inside a longer value (a whole DATABASE_URL) at any of the three byte alignments. For
 * an embedded secret only the characters that depend on its bytes alone are fixed: those are the
 * ones masked. Also in the URL-safe alphabet.
 */
export function base64Forms(bytes: Buffer): string[] {
  // Shorter cores are too likely to occur in ordinary text.
  const forms = [bytes.toString('base64'), ...base64Cores(bytes).filter((core) => core.length >= 8)];
  return forms.flatMap((f) => [f, f.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]);
}

/** For each byte alignment, the base64 characters that depend on these bytes alone. */
function base64Cores(bytes: Buffer): string[] {
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
  });
}

// scheme://user:password@host → scheme://user:***@host
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi;
// conninfo and query-string forms: password=secret
const KEY_VALUE_PASSWORD = /\b(password|passwd|pwd)=([^\s&'"]+)/gi;

// A run of base64 (the standard alphabet, as in a Secret's data) long enough to hold a connection string.
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:[^\s@/]+@|\b(password|passwd|pwd)=/i;

// Text can hold an encoded password only if it holds "://" or "password=" encoded: a cheap test
// that spares the decoding of every base64-looking run of a large output.
const MARKERS = ['://', 'password=', 'PASSWORD=', 'passwd=', 'pwd='].flatMap((m) => base64Cores(Buffer.from(m)));

/** A base64 run that decodes to text carrying a password (a whole DATABASE_URL, a conninfo): masked whole, known secret or not. */
function maskEncodedPasswords(text: string): string {
  if (!MARKERS.some((m) => text.includes(m))) return text;
  return text.replace(BASE64_RUN, (run) => {
    // The run may start mid-way through a group of four.
    for (let offset = 0; offset < 4; offset++) {
      if (URL_WITH_PASSWORD.test(Buffer.from(run.slice(offset), 'base64').toString('latin1'))) return MASK;
    }
    return run;
  });
}

/** `text` with every registered secret and every password-bearing URL masked; `reveal` (one secret) is left as it is. */
export function redact(text: string, reveal?: string): string {
  let out = maskEncodedPasswords(text);
  if (secrets.size > 0) {
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
      if (secret !== reveal && out.includes(secret)) out = out.split(secret).join(MASK);
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

/** Anything text can be written to: a process stream, a file stream, an HTTP response, a PassThrough. */
export interface Sink {
  write(chunk: string): unknown;
}

/** A sink that masks secrets in whatever passes through it. */
export interface RedactingWriter {
  write(text: string): void;
  /**
   * The one path by which a new secret (a password spark generated) reaches the user: `text` is
   * written with `secret` unmasked, this once; every other secret in it stays masked.
   */
  revealOnce(secret: string, text: string): void;
  /** The sink written to (for what only it can tell, e.g. whether it is a terminal). */
  readonly sink: Sink;
}

/** Wrap a sink so that nothing written through it can carry a secret. */
export function createRedactingWriter<S extends Sink>(sink: S): RedactingWriter & { readonly sink: S } {
  return {
    sink,
    write: (text) => void sink.write(redact(text)),
    revealOnce: (secret, text) => void sink.write(redact(text, secret)),
  };
}
