/**
 * The readiness probe's command, run for real inside a booted spark (as the kubelet's exec does)
 * and in empty network namespaces: ready only when sshd answers with its banner — not when port
 * 22 merely accepts connections, nor when nothing listens.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { bootSpark, makeKeyPair, type BootedSpark } from '../support/boot/boot.js';
import { SparkNetwork } from '../support/boot/network.js';
import { ensureRootfs } from '../support/boot/rootfs.js';
import { ssh, waitForLogin, type SshTarget } from '../support/boot/ssh.js';

const manifests = (publicKey?: string) =>
  sparkManifests({ name: 'probe-fox', databaseName: 'probe_fox', databaseUrl: 'postgresql://s:x@db.invalid:5432/probe_fox', isolation: 'shared', createdAt: 'now', creator: 't', sshPublicKey: publicKey }, DEFAULT_MANIFEST_OPTIONS);
const probe = manifests().deployment.spec!.template.spec!.containers[0]!.readinessProbe!.exec!.command!;

let work: string;
let network: SparkNetwork;
let spark: BootedSpark;
let target: SshTarget;

before(async () => {
  ensureRootfs('spark-image');
  work = mkdtempSync(join(tmpdir(), 'spark-boot-probe-'));
  mkdirSync(join(work, 'home'));
  network = SparkNetwork.create();
  const keys = makeKeyPair(work);
  target = { address: network.sparkAddress, privateKey: keys.privateKey, knownHosts: join(work, 'known_hosts') };
  spark = bootSpark({ variant: 'spark-image', manifests: manifests(keys.publicKey), network, home: join(work, 'home') });
  await waitForLogin(spark, target, 60_000);
});

after(async () => {
  await spark?.stop();
  await network?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the probe in a fresh network namespace where `server` (bash, or nothing) listens on 127.0.0.1:22. */
function probeWith(server: string) {
  const quoted = probe.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  // Started, then waited for until it accepts connections.
  const start = server ? `node -e "${server}" >/dev/null 2>&1 & pid=$!; until (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null; do sleep 0.05; done` : 'pid=';
  const script = `ip link set lo up; ${start}\n${quoted}; rc=$?; [ -n "$pid" ] && kill "$pid"; exit "$rc"`;
  return spawnSync('unshare', ['--net', 'bash', '-c', script], { encoding: 'utf8', timeout: 20_000 });
}

test('inside the spark, the probe passes once sshd answers', async () => {
  const quoted = probe.slice(2)[0]!;
  const r = await ssh(target, `/bin/bash -c '${quoted.replace(/'/g, "'\\''")}' && echo ready`);
  assert.equal(r.stdout, 'ready\n', r.stderr);
});

test('nothing on port 22: not ready', () => {
  assert.notEqual(probeWith('').status, 0);
});

test('a port 22 that accepts and never answers: not ready', () => {
  const r = probeWith("require('net').createServer(() => {}).listen(22, '127.0.0.1')");
  assert.equal(r.signal, null, 'the probe gives up by itself (read -t)');
  assert.notEqual(r.status, 0);
});

test('a port 22 that answers with an SSH banner: ready', () => {
  // The wait-until-listening connection closes at once: its reset must not end the stand-in server.
  const r = probeWith("require('net').createServer((s) => s.on('error', () => {}).write('SSH-2.0-OpenSSH_9.2\\r\\n')).listen(22, '127.0.0.1')");
  assert.equal(r.status, 0, r.stderr);
});
