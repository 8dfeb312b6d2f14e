/**
 * Container start → first successful key login, on sparks booted for real by the tests' boot
 * harness (test/support/boot): the spark image, the same behind a silent network, and plain
 * debian:bookworm (openssh-server from Debian's mirror through the harness's proxy). Each boot has
 * a fresh home volume, as a new spark does (host keys made on that first start).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { bootSpark, makeKeyPair } from '../../test/support/boot/boot.js';
import { SparkNetwork } from '../../test/support/boot/network.js';
import { ensureRootfs, type Variant } from '../../test/support/boot/rootfs.js';
import { waitForLogin } from '../../test/support/boot/ssh.js';

export type BootKind = 'spark-image' | 'spark-image-silent' | 'plain';

/** Milliseconds from the spawn of each boot to its first successful login, `runs` times. */
export async function measureBoots(kind: BootKind, runs: number): Promise<number[]> {
  const variant: Variant = kind === 'plain' ? 'plain' : 'spark-image';
  ensureRootfs(variant);
  const work = mkdtempSync(join(tmpdir(), 'spark-bench-boot-'));
  const network = SparkNetwork.create();
  const times: number[] = [];
  try {
    const keys = makeKeyPair(work);
    const env: Record<string, string> = {};
    let repo: string | undefined;
    if (kind === 'plain') {
      const proxy = `http://${network.hostAddress}:${await network.proxy()}`;
      Object.assign(env, { http_proxy: proxy, https_proxy: proxy });
    } else if (kind === 'spark-image-silent') {
      const silent = `http://${network.hostAddress}:${await network.silent()}`;
      Object.assign(env, { http_proxy: silent, https_proxy: silent });
      repo = `${silent}/project.git`;
    }
    for (let i = 0; i < runs; i++) {
      const home = join(work, `home-${i}`);
      mkdirSync(home);
      const manifests = sparkManifests(
        { name: 'bench-boot', databaseName: 'bench_boot', databaseUrl: 'postgresql://s:x@db.invalid:5432/bench_boot', isolation: 'shared', createdAt: 'now', creator: 'bench', sshPublicKey: keys.publicKey, ...(repo ? { repo, dotfilesRepo: repo } : {}) },
        DEFAULT_MANIFEST_OPTIONS,
      );
      const spark = bootSpark({ variant, manifests, network, home, env });
      try {
        times.push(await waitForLogin(spark, { address: network.sparkAddress, privateKey: keys.privateKey, knownHosts: join(work, `known_hosts-${i}`) }, 600_000));
      } finally {
        await spark.stop();
      }
    }
  } finally {
    await network.close();
    rmSync(work, { recursive: true, force: true });
  }
  return times;
}
