/**
 * The grammars of spark's settings and flags, checked before any SQL or API call. Each check says
 * what is wrong in words; callers add which setting it was and the fix.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const hasControl = (value: string): boolean => CONTROL.test(value);

const label = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const DNS1123_LABEL = new RegExp(`^${label}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${label}(?:\\.${label})*$`);
export const dns1123Label = z.string().regex(DNS1123_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63');
export const dns1123Subdomain = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit');

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A DNS host name or an IPv4/IPv6 address (without brackets). */
export function isHost(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length > 0 && name.length <= 253 && name.split('.').every((part) => HOST_LABEL.test(part))) return true;
  // Asked second: node's IPv6 pattern takes ~4 ms to compile, on every command. Names and IPv4 addresses pass above.
  return isIP(value) !== 0;
}
export const host = z.string().refine(isHost, 'must be a host name (letters, digits, "-" and ".") or an IP address');

// Kubernetes' quantity grammar (k8s.io/apimachinery/pkg/api/resource): number, then a binary SI
// suffix, a decimal exponent or a decimal SI suffix. The exponent is tried before the "E" suffix.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(m|k|M|G|T|P|E))?$/;
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value of a Kubernetes quantity (approximate, for comparisons), or undefined if it is not one. */
export function quantityValue(value: string): number | undefined {
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const [, sign, number, binary, exponent, decimal] = m;
  const scale = binary ? BINARY[binary]! : exponent !== undefined ? 10 ** Number(exponent) : decimal ? DECIMAL[decimal]! : 1;
  return (sign === '-' ? -1 : 1) * Number(number) * scale;
}
export const quantity = z
  .string()
  .refine((v) => quantityValue(v) !== undefined, 'must be a Kubernetes quantity like 10Gi, 512Mi, 2 or 250m')
  .refine((v) => (quantityValue(v) ?? 1) > 0, 'must be more than zero');

// distribution/reference's grammar: [domain[:port]/]path[:tag][@digest], path components lower-case.
const alnum = '[a-z0-9]+';
const pathComponent = `${alnum}(?:(?:[._]|__|-+)${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const IMAGE = new RegExp(`^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);
export const imageReference = z
  .string()
  .refine((v) => IMAGE.test(v), 'must be an image reference like debian:bookworm or ghcr.io/me/spark:1.0 (lower-case repository path; tag after ":", digest after "@")')
  .refine((v) => (IMAGE.exec(v)?.[1]?.length ?? 0) <= 255, 'the repository name must be at most 255 characters');

const TAG = /^tag:[A-Za-z][A-Za-z0-9-]*$/;
export const tailscaleTags = z
  .string()
  .refine((v) => v.split(',').every((t) => TAG.test(t)), 'must be a comma-separated list of tags without spaces, each like tag:spark (a letter, then letters, digits or "-")');

export const connectionLimit = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .refine((v) => Number(v) >= 1 && Number(v) <= 10000, 'must be between 1 and 10000');

/** Local paths and file:// URLs: only the local runtime can clone them. */
export type RepoKind = 'remote' | 'local';

/**
 * A git repository to clone: https://, http://, ssh:// or scp-like user@host:path; with `local`,
 * also a path or file:// URL. Undefined when fine, else why not. Nothing here is ever passed to a
 * shell, but git itself reads a leading "-" as an option and runs ext::/fd:: remote helpers.
 */
export function repoProblem(value: string, allowLocal: boolean): string | undefined {
  const kind = repoKind(value);
  if (typeof kind === 'object') return kind.problem;
  if (kind === 'local' && !allowLocal) return 'is a local path or file:// URL, which the cluster cannot clone; use an https:// or ssh:// URL (or --runtime local)';
  return undefined;
}

export function repoKind(value: string): RepoKind | { problem: string } {
  if (value === '') return { problem: 'is empty' };
  if (/\s/.test(value) || hasControl(value)) return { problem: 'contains spaces or control characters' };
  if (value.startsWith('-')) return { problem: 'starts with "-", which git would read as an option' };
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(value)) return { problem: 'uses a git remote helper (such as ext:: or fd::), which can run commands' };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme) {
    if (scheme === 'file') return 'local';
    if (!['https', 'http', 'ssh'].includes(scheme)) return { problem: `uses the scheme ${scheme}://; use https://, http:// or ssh://` };
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { problem: 'is not a valid URL' };
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!isHost(hostname)) return { problem: 'has no valid host name' };
    if (url.pathname === '/' || url.pathname === '') return { problem: 'names no repository (the path after the host is empty)' };
    return 'remote';
  }
  // scp-like syntax, as git reads it: a ":" before any "/".
  const scp = /^(?:([^@/:]+)@)?([^@/:[\]]+|\[[0-9A-Fa-f:]+\]):(.*)$/.exec(value);
  if (scp) {
    const [, user, hostPart = '', path = ''] = scp;
    if (user !== undefined && !/^[A-Za-z0-9._-]+$/.test(user)) return { problem: 'has an invalid user name before "@"' };
    if (!isHost(hostPart.replace(/^\[(.*)\]$/, '$1'))) return { problem: 'has no valid host name before ":"' };
    if (path === '' || path.startsWith('-')) return { problem: 'names no repository after ":"' };
    return 'remote';
  }
  return 'local';
}
