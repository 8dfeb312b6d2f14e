/**
 * Debian bookworm root file systems for booting sparks in the tests, built once per machine and
 * cached under ${SPARK_BOOT_CACHE:-${XDG_CACHE_HOME:-~/.cache}/spark-boot}:
 *   - "plain": debootstrap's minbase, as the debian:bookworm image is (apt path at every start);
 *   - "spark-image": plain with deploy/image/setup.sh applied, as the Containerfile does.
 * A variant's directory name carries a hash of what it is made from (setup.sh, the spark version),
 * so a changed setup.sh builds a new one. Builds take a lock (flock), so parallel test files
 * wait for one build instead of racing. The host's local CAs are copied in (outbound TLS here is
 * re-signed by a local CA, as behind a corporate proxy).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../postgres.js';

export type Variant = 'plain' | 'spark-image';

export const MIRROR = 'http://deb.debian.org/debian';
export const SETUP_SCRIPT = join(REPO, 'deploy/image/setup.sh');
const BARE_RECIPE = `debootstrap --variant=minbase bookworm ${MIRROR} v1`;
const HOST_CA_DIR = '/usr/local/share/ca-certificates';

export function cacheRoot(): string {
  return process.env.SPARK_BOOT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'spark-boot');
}

export function sparkVersion(): string {
  return (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

export function variantDir(variant: Variant): string {
  const bare = `plain-${hash(BARE_RECIPE)}`;
  if (variant === 'plain') return join(cacheRoot(), bare, 'rootfs');
  return join(cacheRoot(), `spark-image-${hash(`${bare}\n${sparkVersion()}\n${readFileSync(SETUP_SCRIPT, 'utf8')}`)}`, 'rootfs');
}

/** Bash that builds one variant into $dest (atomically: a temporary sibling, then a rename). */
function buildScript(variant: Variant): string {
  const hostCas = existsSync(HOST_CA_DIR) ? readdirSync(HOST_CA_DIR).filter((f) => f.endsWith('.crt')) : [];
  const copyCas = hostCas.map((f) => `cp ${join(HOST_CA_DIR, f)} "$tmp/usr/local/share/ca-certificates/"`).join('\n');
  const common = `set -euo pipefail
dest="$1"; tmp="$dest.building"
[[ -d "$dest" ]] && exit 0
rm -rf "$tmp"`;
  if (variant === 'plain') {
    return `${common}
command -v debootstrap >/dev/null || { echo "debootstrap is missing: run scripts/test-prerequisites.sh (apt-get install debootstrap)" >&2; exit 1; }
debootstrap --variant=minbase bookworm "$tmp" ${MIRROR} >"$dest.log" 2>&1 || { tail -20 "$dest.log" >&2; exit 1; }
mkdir -p "$tmp/usr/local/share/ca-certificates"
${copyCas}
rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*
mv "$tmp" "$dest"`;
  }
  return `${common}
cp -a "$2" "$tmp"
cp ${SETUP_SCRIPT} "$tmp/setup.sh"
# A private mount namespace: /proc and /dev for the chroot vanish with it.
unshare --mount --fork bash -c '
  set -euo pipefail
  mount --make-rprivate /
  mount -t proc proc "$1/proc"
  mount --rbind /dev "$1/dev"
  cp /etc/resolv.conf "$1/etc/resolv.conf"
  SPARK_VERSION="$2" chroot "$1" /bin/bash /setup.sh
' build "$tmp" ${sparkVersion()} >"$dest.log" 2>&1 || { tail -30 "$dest.log" >&2; exit 1; }
rm -f "$tmp/setup.sh"
mv "$tmp" "$dest"`;
}

/** The root fs of `variant`, built now when the cache lacks it (minutes the first time). */
export function ensureRootfs(variant: Variant): string {
  const dest = variantDir(variant);
  if (existsSync(dest)) return dest;
  const base = variant === 'spark-image' ? ensureRootfs('plain') : '';
  mkdirSync(join(dest, '..'), { recursive: true });
  execFileSync('flock', [join(dest, '..', '.lock'), 'bash', '-c', buildScript(variant), 'build-rootfs', dest, base], { stdio: ['ignore', 'inherit', 'inherit'] });
  return dest;
}

// `node --import tsx test/support/boot/rootfs.ts [variant...]`: build ahead (scripts/test-prerequisites.sh).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/test\//, '/test/'))) {
  const variants = (process.argv.slice(2) as Variant[]).length ? (process.argv.slice(2) as Variant[]) : (['plain', 'spark-image'] as Variant[]);
  for (const v of variants) process.stdout.write(`${v}: ${ensureRootfs(v)}\n`);
}
