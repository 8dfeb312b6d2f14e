/**
 * A network that accepts connections and never answers (the repo's host, the dotfiles' host and
 * the https proxy all silent) must not delay SSH: the login works while the network steps still
 * hang, and the MOTD of an interactive session says setup is still running.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { bootSpark, makeKeyPair, type BootedSpark } from '../support/boot/boot.js';
import { SparkNetwork } from '../support/boot/network.js';
import { ensureRootfs } from '../support/boot/rootfs.js';
import { ssh, sshArgs, waitForLogin, type SshTarget } from '../support/boot/ssh.js';
import { capture } from '../support/capture.js';

let work: string;
let network: SparkNetwork;
let spark: BootedSpark;
let target: SshTarget;

before(async () => {
  ensureRootfs('spark-image');
  work = mkdtempSync(join(tmpdir(), 'spark-boot-silent-'));
  const home = join(work, 'home');
  mkdirSync(home);
  network = SparkNetwork.create();
  const silent = `http://${network.hostAddress}:${await network.silent()}`;
  const keys = makeKeyPair(work);
  target = { address: network.sparkAddress, privateKey: keys.privateKey, knownHosts: join(work, 'known_hosts') };
  const manifests = sparkManifests(
    {
      name: 'silent-net',
      databaseName: 'silent_net',
      databaseUrl: 'postgresql://spark:x@db.invalid:5432/silent_net',
      isolation: 'shared',
      createdAt: new Date().toISOString(),
      creator: 'boot-test',
      sshPublicKey: keys.publicKey,
      repo: `${silent}/project.git`,
      dotfilesRepo: `${silent}/dotfiles.git`,
    },
    DEFAULT_MANIFEST_OPTIONS,
  );
  spark = bootSpark({ variant: 'spark-image', manifests, network, home, env: { http_proxy: silent, https_proxy: silent } });
});

after(async () => {
  await spark?.stop();
  await network?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the login works while the clone hangs on the silent network', async () => {
  await waitForLogin(spark, target, 60_000);
  const progress = await ssh(target, 'cat /run/spark/progress');
  assert.equal(progress.code, 0, progress.stderr);
  assert.match(progress.stdout, /^running +repo +since /m);
  assert.match(progress.stdout, /^pending +dotfiles/m);
  assert.doesNotMatch(spark.output, /spark-step: repo (done|failed)/);
});

test('an interactive session shows in its MOTD that setup is still running', async () => {
  // A login shell on a terminal, as `ssh user@spark` gives (sshd prints the MOTD only there).
  const r = await capture('ssh', sshArgs(target, ['-tt']), { input: 'exit\n', timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /spark: setup is still running/);
  assert.match(r.stdout, /running +repo/);
  // A plain command gets no MOTD: scripts and scp stay clean.
  assert.equal((await ssh(target, 'echo clean')).stdout, 'clean\n');
});
