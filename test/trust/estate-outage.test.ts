/**
 * Trust, the estate (issue 11, items 2, 3, 4, 7, 16): what list, doctor and delete conclude when a
 * side cannot be asked, in another namespace, about databases spark did not make, and about names
 * that are no spark's. The built `spark`, the fake API server (for faults a real control plane
 * cannot make on demand: 5xx on every request), real PostgreSQL 18 and 15.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goSparkObjects } from '../support/fake-kube/index.js';
import { runSpark } from '../support/cli.js';
import { connectUrl, superuserClient, testServers, unique } from '../support/postgres.js';
import { startEstate, type DoctorReport, type Estate, type Listing } from './estate-helpers.js';

for (const server of testServers()) {
  describe(`estate on ${server.name}`, () => {
    let estate: Estate;
    let env: Record<string, string>;
    before(async () => {
      estate = await startEstate(server);
      env = estate.env;
      estate.cluster.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } }]);
    });
    after(async () => {
      await estate.cluster.stop();
    });

    const create = async (name: string): Promise<void> => {
      const created = await runSpark(['create', name, '--no-shell'], { env });
      assert.equal(created.code, 0, created.stderr);
    };
    const sparkRole = (sql: string): Promise<void> =>
      connectUrl(`postgresql://${server.sparkUser}:${encodeURIComponent(server.sparkPassword)}@${server.host}:${server.port}/${server.adminDatabase}`).then(async (c) => {
        await c.query(sql);
        await c.end();
      });

    test('a cluster that refuses connections or answers 5xx: its sparks are Unknown, not Incomplete; doctor advises no delete; delete keeps everything', async () => {
      const name = unique('outage');
      await create(name);
      const root = estate.cluster.get('configmaps', 'spark', `${name}-config`) as { metadata?: { annotations?: Record<string, string> } } | undefined;
      assert.equal(root?.metadata?.annotations?.['spark.dev/creating'], undefined, 'a finished create leaves its in-flight mark');
      const outages: Array<[string, Record<string, string>, () => () => void]> = [
        ['connection refused', { KUBECONFIG: await estate.refusedKubeconfig() }, () => () => {}],
        ['503 on every request', {}, () => {
          const fault = estate.cluster.controls.fail({ times: Infinity, code: 503, message: 'injected: etcd unavailable' });
          return () => fault.cancel();
        }],
      ];
      for (const [what, overrides, inject] of outages) {
        const heal = inject();
        try {
          const outEnv = { ...env, ...overrides };
          const listed = await runSpark(['list', '--json'], { env: outEnv });
          assert.equal(listed.code, 0, `${what}: ${listed.stderr}`);
          const listing = JSON.parse(listed.stdout) as Listing;
          const row = listing.sparks.find((s) => s.name === name);
          assert.equal(row?.state, 'Unknown', `${what}: a spark whose cluster side is unknown is not Incomplete`);
          assert.equal(row?.database?.name, name);
          assert.deepEqual(listing.unavailable.map((u) => u.part), ['runtime'], what);
          const human = await runSpark(['list'], { env: outEnv });
          assert.equal(human.code, 0, human.stderr);
          assert.match(human.stdout, /kubernetes runtime unavailable/, `${what}: the outage is stated`);
          assert.doesNotMatch(human.stdout, /Incomplete/);

          const doctor = JSON.parse((await runSpark(['doctor', '--json'], { env: outEnv })).stdout) as DoctorReport;
          assert.ok(!doctor.checks.some((c) => c.fix?.includes(`spark delete ${name}`)), `${what}: doctor advised deleting ${name}: ${JSON.stringify(doctor.checks)}`);

          const deleted = await runSpark(['delete', name, '--yes'], { env: outEnv });
          assert.equal(deleted.code, 1, `${what}: ${deleted.stderr}`);
          assert.equal(await estate.databaseExists(name), true, `${what}: the database was dropped while the cluster side was unknown`);
        } finally {
          heal();
        }
        assert.equal(estate.objectsOf(name).length, 5, what);
      }

      // The cluster answers, but one object cannot be deleted: the database stays until it is gone.
      const stuck = estate.cluster.controls.fail({ verb: 'delete', resource: 'deployments', times: Infinity, code: 500, message: 'injected failure' });
      const partial = await runSpark(['delete', name, '--yes'], { env });
      stuck.cancel();
      assert.equal(partial.code, 1, partial.stderr);
      assert.match(partial.stderr, new RegExp(`database ${name}: kept until`));
      assert.equal(await estate.databaseExists(name), true, 'the database was dropped while a cluster object remained');
      const finished = await runSpark(['delete', name, '--yes'], { env });
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(estate.objectsOf(name), []);
      assert.equal(await estate.databaseExists(name), false);
    });

    test('another namespace neither lists, shows, advises on nor deletes the sparks of namespace spark; old tags belong to spark', async () => {
      const name = unique('ns');
      await create(name);
      const other = ['-n', 'other'];
      const listing = JSON.parse((await runSpark([...other, 'list', '--json'], { env })).stdout) as Listing;
      assert.equal(listing.sparks.find((s) => s.name === name), undefined, 'listed in namespace other');
      const doctor = JSON.parse((await runSpark([...other, 'doctor', '--json'], { env })).stdout) as DoctorReport;
      assert.ok(!doctor.checks.some((c) => `${c.title} ${c.fix ?? ''}`.includes(name)), JSON.stringify(doctor.checks));
      const status = await runSpark([...other, 'status', name], { env });
      assert.equal(status.code, 1);
      assert.match(status.stderr, new RegExp(`No spark named "${name}"`));
      const deleted = await runSpark([...other, 'delete', name, '--yes'], { env });
      assert.equal(deleted.code, 1, deleted.stderr);
      assert.match(deleted.stderr, /namespace spark/);
      assert.equal(await estate.databaseExists(name), true, 'a live spark lost its database to a delete in another namespace');
      assert.equal(estate.objectsOf(name).length, 5);
      assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);

      // A database tagged before tags named a namespace: namespace spark's.
      const old = unique('oldtag');
      await sparkRole(`CREATE DATABASE "${old}"`);
      await sparkRole(`COMMENT ON DATABASE "${old}" IS 'spark:{"createdAt":"2026-01-01T00:00:00.000Z"}'`);
      const inOther = JSON.parse((await runSpark([...other, 'list', '--json'], { env })).stdout) as Listing;
      assert.equal(inOther.sparks.find((s) => s.name === old), undefined);
      const inSpark = JSON.parse((await runSpark(['list', '--json'], { env })).stdout) as Listing;
      assert.equal(inSpark.sparks.find((s) => s.name === old)?.state, 'Incomplete');
      assert.equal((await runSpark([...other, 'delete', old, '--yes'], { env })).code, 1);
      assert.equal((await runSpark(['delete', old, '--yes'], { env })).code, 0);
      assert.equal(await estate.databaseExists(old), false);
    });

    test('delete drops only a database spark made: an untagged one is refused with --force-db offered; a Go-CLI spark\'s database goes', async () => {
      const name = unique('foreign');
      await sparkRole(`CREATE DATABASE "${name}"`);
      const refused = await runSpark(['delete', name, '--yes'], { env });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /not this spark's: spark did not make it/);
      assert.match(refused.stderr, new RegExp(`spark delete ${name} --force-db`));
      assert.equal(await estate.databaseExists(name), true, 'a database spark did not make was dropped');
      const taken = await runSpark(['create', name, '--no-shell'], { env });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /already exists and is not a spark[^]*--force-db/);
      const forced = await runSpark(['delete', name, '--yes', '--force-db'], { env });
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(await estate.databaseExists(name), false);

      // The Go CLI tagged nothing; its spark's Secret names the database in DATABASE_URL.
      const go = unique('gocli');
      estate.cluster.seed(goSparkObjects(go, { withConfig: true }));
      await sparkRole(`CREATE DATABASE "${go}"`);
      const deleted = await runSpark(['delete', go, '--yes'], { env });
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(await estate.databaseExists(go), false);
      assert.deepEqual(estate.objectsOf(go), []);
    });

    test('system and configuration names are invalid spark names (exit 2) for create, status, shell and delete', async () => {
      for (const name of ['postgres', 'homelab', 'template0', 'template1', 'spark']) {
        for (const args of [['create', name, '--no-shell'], ['status', name], ['delete', name, '--yes'], ['shell', name]]) {
          const result = await runSpark(args, { env });
          assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
          assert.match(result.stderr, /system or configuration database or role/);
        }
      }
      // The configured admin database and role, whatever they are called.
      const su = await superuserClient(server);
      await su.query('CREATE DATABASE "admin-db"').catch(() => {});
      await su.end();
      for (const [key, value] of [['POSTGRES_DB', 'admin-db'], ['POSTGRES_USER', 'ops-role']]) {
        const created = await runSpark(['create', value!, '--no-shell'], { env: { ...env, [key!]: value! } });
        assert.equal(created.code, 2, created.stderr);
        const deleted = await runSpark(['delete', value!, '--yes', '--force-db'], { env: { ...env, [key!]: value! } });
        assert.equal(deleted.code, 2, deleted.stderr);
      }
      assert.equal(await estate.databaseExists('admin-db'), true);
      assert.equal(await estate.databaseExists('template1'), true);
    });

    test('a name that exists nowhere: No spark named, with the close names; delete exits 1 unless --ignore-not-found', async () => {
      const name = unique('typo');
      await create(name);
      const typo = `${name.slice(0, -1)}${name.endsWith('x') ? 'y' : 'x'}`;
      for (const args of [['status', typo], ['shell', typo]]) {
        const result = await runSpark(args, { env });
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, new RegExp(`No spark named "${typo}"\\. Did you mean: ${name}\\?`));
      }
      const missing = await runSpark(['delete', typo, '--yes'], { env });
      assert.equal(missing.code, 1, missing.stderr);
      assert.match(missing.stderr, new RegExp(`No spark named "${typo}"`));
      const ignored = await runSpark(['delete', typo, '--yes', '--ignore-not-found'], { env });
      assert.equal(ignored.code, 0, ignored.stderr);
      assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);

      // Without any cluster (a local-only user): the same answer, not a Kubernetes error.
      const noCluster = { ...env, KUBECONFIG: `${estate.home}/no-such-kubeconfig`, SPARK_DATA_DIR: `${estate.home}/no-local-data` };
      for (const args of [['status', typo], ['shell', typo], ['delete', typo, '--yes']]) {
        const result = await runSpark(args, { env: noCluster });
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, new RegExp(`No spark named "${typo}"`));
        assert.doesNotMatch(result.stderr.split('\n')[0]!, /Kubernetes|kubeconfig/, 'the error itself is no Kubernetes error');
      }
      assert.equal((await runSpark(['delete', typo, '--yes', '--ignore-not-found'], { env: noCluster })).code, 0);
    });
  });
}
