/**
 * Trust, create (issue 11, items 5 and 6): a create killed with SIGKILL at any statement leaves no
 * database that PUBLIC or another role can open (nor, in role mode, a spark role that can log in),
 * and doctor reports what it left; a delete racing a create refuses, and a create whose claim is
 * deleted rolls back at once. The built `spark`; a transparent TCP proxy in front of real
 * PostgreSQL that holds one chosen statement, so the kill lands exactly between two statements;
 * the fake API server (a real control plane cannot hold a create's readiness on demand).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { http } from '../support/fake-kube/testing.js';
import { runSpark, SPARK_BIN } from '../support/cli.js';
import { connectUrl, makeRole, superuserClient, testServers, unique, type TestServer } from '../support/postgres.js';
import { startEstate, type DoctorReport, type Estate } from './estate-helpers.js';
import { configMapName } from '../../src/runtimes/kubernetes/labels.js';

/** Forwards PostgreSQL's protocol; when armed, holds the k-th statement that mentions a marker (and all after it). */
class HoldingProxy {
  private server!: Server;
  port = 0;
  private sockets = new Set<Socket>();
  private armed?: { markers: string[]; k: number; seen: number; resolve: (sql: string) => void };

  constructor(private readonly target: TestServer) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  arm(markers: string[], k: number): Promise<string> {
    return new Promise((resolve) => (this.armed = { markers, k, seen: 0, resolve }));
  }

  disarm(): void {
    this.armed = undefined;
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.disarm();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
    let pending = Buffer.alloc(0);
    let started = false;
    let held = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (!held) {
        // The startup message has no type byte; every later one does.
        const header = started ? 5 : 4;
        if (pending.length < header) return;
        const length = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        if (started && this.holds(message)) {
          held = true;
          return;
        }
        started = true;
        upstream.write(message);
        pending = pending.subarray(length);
      }
    });
  }

  private holds(message: Buffer): boolean {
    const armed = this.armed;
    const type = String.fromCharCode(message[0]!);
    if (!armed || (type !== 'Q' && type !== 'P')) return false;
    const body = message.subarray(5).toString('utf8');
    const sql = type === 'Q' ? body : body.split('\0')[1] ?? '';
    if (!armed.markers.some((m) => sql.includes(m))) return false;
    armed.seen += 1;
    if (armed.seen < armed.k) return false;
    this.armed = undefined;
    armed.resolve(sql.replace(/PASSWORD '[^']*'/, "PASSWORD '…'"));
    return true;
  }
}

function startCreate(name: string, env: Record<string, string>, extra: string[] = []): { child: ChildProcess; exited: Promise<number>; stderr: () => string; saw: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, [SPARK_BIN, 'create', name, '--no-shell', ...extra], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const watchers: Array<{ text: string; resolve: () => void }> = [];
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of watchers.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  child.stdout!.resume();
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? -1 : 0))));
  return {
    child,
    exited,
    stderr: () => stderr,
    saw: (text) => new Promise<void>((resolve) => (stderr.includes(text) ? resolve() : watchers.push({ text, resolve }))),
  };
}

for (const server of testServers()) {
  describe(`create on ${server.name}`, () => {
    let estate: Estate;
    let proxy: HoldingProxy;
    let other: { user: string; password: string };
    before(async () => {
      estate = await startEstate(server);
      proxy = new HoldingProxy(server);
      await proxy.start();
      other = { user: `other_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex') };
      const su = await superuserClient(server);
      await su.query(`CREATE ROLE "${other.user}" LOGIN PASSWORD '${other.password}'`);
      await su.end();
    });
    after(async () => {
      await proxy.stop();
      await estate.cluster.stop();
    });

    const modes: Array<'shared' | 'role'> = server.major >= 16 ? ['shared', 'role'] : ['shared'];
    for (const mode of modes) {
      test(`kill -9 at each statement of create (${mode} mode): nothing another role can open, doctor reports it, delete removes it`, async () => {
        const role = mode === 'role' ? await makeRole(server, { isolation: 'role', prefix: 'killrole' }) : undefined;
        const env = { ...estate.env, POSTGRES_PORT: String(proxy.port), ...(role ? { POSTGRES_USER: role.user, POSTGRES_PASSWORD: role.password, SPARK_DB_ISOLATION: 'role' } : {}) };
        const user = role?.user ?? server.sparkUser;
        let held = 0;
        for (let k = 2; ; k++) {
          const name = unique(`kill${k}`);
          const sparkRole = `${user}_${name}`;
          const holding = proxy.arm([`"${name}"`, `"${sparkRole}"`], k);
          const create = startCreate(name, env);
          const first = await Promise.race([holding.then((sql) => ({ sql })), create.exited.then((code) => ({ code }))]);
          if ('code' in first) {
            assert.equal(first.code, 0, create.stderr());
            proxy.disarm();
            assert.ok(held >= 3, `only ${held} statements after the first were held`);
            assert.equal((await runSpark(['delete', name, '--yes'], { env })).code, 0);
            break;
          }
          held += 1;
          create.child.kill('SIGKILL');
          await create.exited;
          proxy.disarm();

          const su = await superuserClient(server);
          const db = (await su.query('SELECT datallowconn FROM pg_database WHERE datname = $1', [name])).rows[0] as { datallowconn: boolean } | undefined;
          const login = (await su.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [sparkRole])).rows[0] as { rolcanlogin: boolean } | undefined;
          await su.end();
          if (db) {
            await assert.rejects(
              connectUrl(`postgresql://${other.user}:${other.password}@${server.host}:${server.port}/${name}`).then((c) => c.end()),
              `killed before "${first.sql}": another role opened the database`,
            );
          }
          assert.notEqual(login?.rolcanlogin, true, `killed before "${first.sql}": the spark's role can log in before its database is ready`);

          const doctor = JSON.parse((await runSpark(['doctor', '--json'], { env })).stdout) as DoctorReport;
          if (db && !db.datallowconn) {
            const check = doctor.checks.find((c) => c.id === `closed-${name}`);
            assert.ok(check, `killed before "${first.sql}": doctor does not report the closed database: ${JSON.stringify(doctor.checks.map((c) => c.id))}`);
            assert.match(check.fix ?? '', new RegExp(`spark delete ${name} --yes`));
          }
          const deleted = await runSpark(['delete', name, '--yes'], { env });
          assert.equal(deleted.code, 0, `killed before "${first.sql}": ${deleted.stderr}`);
          assert.equal(await estate.databaseExists(name), false);
          assert.deepEqual(estate.objectsOf(name), []);
          const after = await superuserClient(server);
          assert.equal((await after.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [sparkRole])).rowCount, 0, 'the spark role remains');
          await after.end();
        }
      });
    }

    test('delete of a spark being created refuses and says so; deleting its claim makes the create roll back at once', async () => {
      const name = unique('race');
      estate.cluster.controls.setReadyDelay(600_000);
      try {
        const create = startCreate(name, estate.env, ['--timeout', '10m']);
        await create.saw('Waiting for the spark to be ready');
        const refused = await runSpark(['delete', name, '--yes'], { env: estate.env });
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(refused.stderr, /still being created/);
        assert.equal(estate.objectsOf(name).length, 5, 'delete removed objects of a create in flight');
        assert.equal(await estate.databaseExists(name), true);

        // The claim disappears behind spark's back: the create must not wait out its 10 minutes.
        const removed = await http(estate.cluster.url, 'DELETE', `/api/v1/namespaces/spark/configmaps/${configMapName(name)}`);
        assert.equal(removed.status, 200, removed.text);
        assert.equal(await create.exited, 1, create.stderr());
        assert.match(create.stderr(), /was deleted while it was being created/);
        assert.deepEqual(estate.objectsOf(name), []);
        assert.equal(await estate.databaseExists(name), false, 'the database of a create whose claim vanished was orphaned');
      } finally {
        estate.cluster.controls.setReadyDelay(0);
      }
    });
  });
}
