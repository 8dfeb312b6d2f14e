/**
 * SSH_PUBLIC_KEY_PATH must hold OpenSSH public key lines: they are copied into every spark's
 * ConfigMap, so a private key there would be published to anyone who can read the namespace.
 * Errors describe the content, never quote it.
 */
import { open } from 'node:fs/promises';
import { SparkError } from '../errors.js';

export interface PublicKeys {
  /** The key lines, normalised: one per line, no blank lines or comments. */
  text: string;
  /** Key types in order, e.g. ["ssh-ed25519"]. */
  types: string[];
}

/** Why the content is not a public key; `undefined` when it is one. */
export type KeyProblem = { kind: 'private' | 'empty' | 'invalid'; reason: string };

// A public key is well under 16 KiB (RSA 16384 is ~2.8 KiB); anything larger is not one (or is /dev/zero).
const MAX_BYTES = 64 * 1024;
const KEY_TYPE = /^(?:ssh|ecdsa|sk)-[a-z0-9@.-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** The key type written inside the blob (an SSH string: uint32 length, then the bytes). */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

function checkLine(line: string, number: number): { type: string } | KeyProblem {
  const at = `line ${number}`;
  if (CONTROL.test(line)) return { kind: 'invalid', reason: `${at} contains control characters` };
  const [type = '', data = ''] = line.split(/[ \t]+/);
  if (!KEY_TYPE.test(type)) {
    // authorized_keys options (command="…", from=…, no-pty) come before the key type.
    return line.split(/[ \t]+/).slice(1).some((field) => KEY_TYPE.test(field))
      ? { kind: 'invalid', reason: `${at} starts with options (such as command= or from=); spark writes the key alone` }
      : { kind: 'invalid', reason: `${at} does not start with a key type such as ssh-ed25519` };
  }
  if (!data || !BASE64.test(data)) return { kind: 'invalid', reason: `${at}: the key data after ${type} is not base64` };
  const inner = blobType(Buffer.from(data, 'base64'));
  if (inner !== type) return { kind: 'invalid', reason: `${at}: the key data is not a ${type} key` };
  return { type };
}

/** Parse the content of a public key file (authorized_keys format, without options). */
export function parsePublicKeys(content: string): PublicKeys | KeyProblem {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^PuTTY-User-Key-File-/m.test(content)) {
    return { kind: 'private', reason: 'it holds a private key' };
  }
  const lines: string[] = [];
  const types: string[] = [];
  const all = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, raw] of all.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const checked = checkLine(line, index + 1);
    if ('kind' in checked) return checked;
    lines.push(line);
    types.push(checked.type);
  }
  if (lines.length === 0) return { kind: 'empty', reason: 'it holds no key' };
  return { text: lines.join('\n'), types };
}

/** Read and check the key file; `undefined` when there is no file. */
export async function readPublicKeys(path: string): Promise<PublicKeys | KeyProblem | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { kind: 'invalid', reason: `it cannot be read (${code ?? 'error'})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { kind: 'invalid', reason: 'it is not a regular file' };
    if (stat.size > MAX_BYTES) return { kind: 'invalid', reason: `it is ${stat.size} bytes, far too large for a public key` };
    return parsePublicKeys(await handle.readFile('utf8'));
  } finally {
    await handle.close();
  }
}

export function keyFix(path: string, problem: KeyProblem | undefined): string {
  if (!problem) return `Create a key with: ssh-keygen -t ed25519   (or point SSH_PUBLIC_KEY_PATH at your public key)`;
  if (problem.kind === 'private') {
    const pub = path.endsWith('.pub') ? path : `${path}.pub`;
    return `Point SSH_PUBLIC_KEY_PATH at the public half (${pub}); if it is missing, make it with: ssh-keygen -y -f ${path.replace(/\.pub$/, '')} > ${pub}`;
  }
  return 'Point SSH_PUBLIC_KEY_PATH at an OpenSSH public key file (one "ssh-ed25519 AAAA… comment" line per key, as ssh-keygen writes to ~/.ssh/id_ed25519.pub).';
}

/** The key lines for a spark, or a clear error (exit 2) naming the file and what is wrong with it. */
export async function requirePublicKeys(path: string): Promise<PublicKeys> {
  const keys = await readPublicKeys(path);
  if (keys && !('kind' in keys)) return keys;
  if (!keys) {
    throw new SparkError(`No SSH public key at ${path}: the spark would accept no login.`, { hint: keyFix(path, undefined), code: 'SSH_KEY_MISSING' });
  }
  throw new SparkError(`SSH_PUBLIC_KEY_PATH=${path} is not an OpenSSH public key: ${keys.reason}.`, { hint: keyFix(path, keys), code: 'SSH_KEY_INVALID', exitCode: 2 });
}
