/**
 * A spark booted from plain debian:bookworm (a bare bookworm root fs): the init script installs
 * openssh-server first, starts sshd, then installs the other tools in the background. The spark
 * reaches Debian's mirror only through the harness's forward proxy (Debian's hosts and the npm
 * registry, nothing else), as a spark behind a corporate proxy would.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SparkSpec } from '../../src/core/ports.js';
import { openSparkDatabases, type SparkDatabases } from '../../src/database/sparks.js';
import { DEFAULT_MANIFEST_OPTIONS, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import { bootSpark, makeKeyPair, type BootedSpark } from '../support/boot/boot.js';
import { SparkNetwork } from '../support/boot/network.js';
import { ensureRootfs } from '../support/boot/rootfs.js';
import { ssh, waitForLogin, type SshTarget } from '../support/boot/ssh.js';
import { makeRole, testServers, unique } from '../support/postgres.js';

let work: string;
let network: SparkNetwork;
let databases: SparkDatabases;
let spark: BootedSpark;
let target: SshTarget;
let spec: SparkSpec;

const run = async (command: string) => {
  const r = await ssh(target, command);
  assert.equal(r.code, 0, `ssh ${command} failed (${r.code}): ${r.stderr}\n--- spark log:\n${spark.output}`);
  return r.stdout;
};

before(async () => {
  ensureRootfs('plain');
  work = mkdtempSync(join(tmpdir(), 'spark-boot-plain-'));
  const home = join(work, 'home');
  mkdirSync(home);
  network = SparkNetwork.create();
  const server = testServers().find((s) => s.major >= 16)!;
  await network.relay({ host: server.host, port: server.port }, server.port);
  // A spark role of its own (made by setup-db's code), isolation "role": rotation tests elsewhere
  // count the spark role's shared-password sparks, and this one lives for minutes.
  const role = await makeRole(server, { prefix: 'spark_boot', isolation: 'role' });
  databases = openSparkDatabases({ ...role, sparkHost: network.hostAddress });
  const name = unique('plain');
  const createdAt = new Date().toISOString();
  const database = await databases.provision(name, { createdAt });
  const proxy = `http://${network.hostAddress}:${await network.proxy()}`;
  const keys = makeKeyPair(work);
  target = { address: network.sparkAddress, privateKey: keys.privateKey, knownHosts: join(work, 'known_hosts') };
  spec = { name, databaseName: database.databaseName, databaseUrl: database.databaseUrl, isolation: 'role', createdAt, creator: 'boot-test', sshPublicKey: keys.publicKey };
  spark = bootSpark({ variant: 'plain', manifests: sparkManifests(spec, DEFAULT_MANIFEST_OPTIONS), network, home, env: { http_proxy: proxy, https_proxy: proxy } });
});

after(async () => {
  await spark?.stop();
  if (spec) await databases.drop(spec.name).catch(() => {});
  await databases?.close();
  await network?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('sshd comes up first (openssh-server only), before the other packages', async () => {
  await waitForLogin(spark, target, 600_000);
  assert.equal(await run('whoami'), 'user\n');
  const log = spark.output;
  assert.ok(log.indexOf('spark-step: ssh-server done') < log.indexOf('spark-step: sshd listening'));
  assert.ok(log.indexOf('spark-step: sshd listening') < log.indexOf('spark-step: packages started'), log);
});

test('the background steps install the tools: psql reaches the database, sudo needs no password, gh and git are there', async () => {
  await spark.waitForLog(/spark-step: setup finished/, 900_000);
  assert.match(spark.output, /spark-step: packages done/);
  assert.equal(await run(`psql "$DATABASE_URL" -Atc 'select current_database()'`), `${spec.databaseName}\n`);
  assert.equal(await run('sudo -n id -u'), '0\n');
  assert.match(await run('command -v gh git curl'), /\/gh\n.*\/git\n.*\/curl\n/s);
  // Claude Code's installer host is not among the proxy's allowed hosts: the step fails, and says so.
  assert.match(await run('cat /run/spark/progress'), /^failed +claude/m);
});
