/**
 * Boots a spark for real from the objects spark's own manifest functions make: the ConfigMap's
 * files mounted read-only at their mountPath, the Secret's keys and the container's env as the
 * environment, the home volume as a host directory, the pod's hostname, and the Deployment's
 * command — as PID 1 of new mount, pid, uts and ipc namespaces, in the network namespace of a
 * SparkNetwork. The image is a cached root fs (rootfs.ts) under a fresh overlay per boot, as a
 * container's file system is fresh at each start while the home volume is kept.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SparkManifests } from '../../../src/runtimes/kubernetes/manifests.js';
import { ensureRootfs, type Variant } from './rootfs.js';
import type { SparkNetwork } from './network.js';

/** The environment a container gets from the image (debian:bookworm's) and the kubelet. */
const IMAGE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };

const LAUNCH = String.raw`
set -euo pipefail
lower="$1" dir="$2" home="$3" home_mount="$4" config="$5" config_mount="$6" hostname="$7" address="$8"
shift 8
root="$dir/root"
mkdir -p "$root" "$dir/upper" "$dir/work"
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$root"
mkdir -p "$root$home_mount" "$root$config_mount"
mount --bind "$home" "$root$home_mount"
mount --bind "$config" "$root$config_mount"
mount -o remount,bind,ro "$root$config_mount"
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs tmpfs "$root/dev/shm"
# What the kubelet writes: hosts and hostname (no DNS: the spark reaches only the host end).
printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$address" "$hostname" >"$root/etc/hosts"
printf '%s\n' "$hostname" >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
# A CA the spark trusts beyond the image's (as a corporate proxy's): appended to the bundle.
if [[ -s "$dir/extra-ca.pem" && -f "$lower/etc/ssl/certs/ca-certificates.crt" ]]; then
  cat "$lower/etc/ssl/certs/ca-certificates.crt" "$dir/extra-ca.pem" >"$root/etc/ssl/certs/ca-certificates.crt"
fi
hostname "$hostname"
exec chroot "$root" "$@"
`;

export interface BootOptions {
  variant: Variant;
  manifests: SparkManifests;
  network: SparkNetwork;
  /** The home volume (kept across boots of the same spark). */
  home: string;
  /** More container env, e.g. http_proxy for the plain image. */
  env?: Record<string, string>;
  /** A CA certificate (PEM) the spark trusts too. */
  trust?: string;
}

const booted = new Set<BootedSpark>();
process.on('exit', () => {
  for (const s of booted) s.killSync();
});

export class BootedSpark {
  output = '';
  readonly startedAt = process.hrtime.bigint();
  private exited: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly address: string,
  ) {
    booted.add(this);
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    void this.exited.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the container log once it matches `pattern`; rejects after `timeoutMs` or on exit. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (pattern.test(this.output)) return this.output;
      if (!this.running) throw new Error(`the spark exited before its log showed ${pattern}:\n${this.output}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the spark's log did not show ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  killSync(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** Ends the container (PID 1's namespace goes with it) and removes its file system. */
  async stop(): Promise<void> {
    // unshare --kill-child: SIGKILL to unshare kills PID 1, and so every process of the spark.
    this.killSync();
    await this.exited;
    booted.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Boots the spark; resolves once its PID 1 runs (not once SSH is up: see ssh.ts). */
export function bootSpark(options: BootOptions): BootedSpark {
  const { manifests, network } = options;
  const lower = ensureRootfs(options.variant);
  const pod = manifests.deployment.spec!.template.spec!;
  const container = pod.containers[0]!;
  const mountOf = (volume: string) => container.volumeMounts!.find((m) => m.name === volume)!;
  const configVolume = pod.volumes!.find((v) => v.configMap)!;
  const homeVolume = pod.volumes!.find((v) => v.persistentVolumeClaim)!;

  const dir = mkdtempSync(join(tmpdir(), 'spark-boot-'));
  // The ConfigMap as the kubelet mounts it: one file a key, mode defaultMode.
  if (options.trust) writeFileSync(join(dir, 'extra-ca.pem'), options.trust);
  const config = join(dir, 'config');
  mkdirSync(config);
  for (const [key, value] of Object.entries(manifests.configMap.data ?? {})) {
    writeFileSync(join(config, key), value);
    chmodSync(join(config, key), configVolume.configMap!.defaultMode ?? 0o644);
  }

  const env: Record<string, string> = { ...IMAGE_ENV, HOSTNAME: pod.hostname ?? manifests.deployment.metadata!.name!, ...options.env };
  for (const from of container.envFrom ?? []) {
    if (from.secretRef?.name !== manifests.secret.metadata!.name) throw new Error(`envFrom names an unknown Secret: ${from.secretRef?.name}`);
    Object.assign(env, manifests.secret.stringData ?? {});
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? '';

  const command = [...(container.command ?? []), ...(container.args ?? [])];
  const child = spawn(
    'ip',
    [
      'netns', 'exec', network.namespace,
      'unshare', '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child',
      'bash', '-c', LAUNCH, 'launch',
      lower, dir, options.home, mountOf(homeVolume.name).mountPath, config, mountOf(configVolume.name).mountPath,
      pod.hostname ?? '', network.sparkAddress,
      ...command,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new BootedSpark(child, dir, network.sparkAddress);
}

/** An SSH key pair for the tests (ed25519, no passphrase). */
export function makeKeyPair(dir: string): { privateKey: string; publicKey: string } {
  const privateKey = join(dir, 'id_ed25519');
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'spark-boot-test', '-f', privateKey]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { privateKey, publicKey: spawnSync('cat', [`${privateKey}.pub`]).stdout.toString().trim() };
}
