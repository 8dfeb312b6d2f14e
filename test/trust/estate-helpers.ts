/**
 * Shared by the estate tests (test/trust/estate-*.test.ts): the fake cluster with the built `spark`
 * pointed at it and at a real PostgreSQL server, and what a user would look at afterwards.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeCluster, type FakeCluster } from '../support/fake-kube/index.js';
import { sparkEnv, superuserClient, type TestServer } from '../support/postgres.js';
import { freePort } from '../../src/database/server.js';

export interface Estate {
  cluster: FakeCluster;
  home: string;
  env: Record<string, string>;
  /** A kubeconfig whose server is a closed port (connection refused). */
  refusedKubeconfig(): Promise<string>;
  objectsOf(name: string, namespace?: string): string[];
  databaseExists(name: string): Promise<boolean>;
}

const KINDS = ['deployments', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets'];

export async function startEstate(server: TestServer): Promise<Estate> {
  const cluster = await startFakeCluster();
  const home = mkdtempSync(join(tmpdir(), 'spark-estate-'));
  const kubeconfig = cluster.writeKubeconfig(join(home, 'kubeconfig'));
  writeFileSync(join(home, 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY test@spark\n');
  const env = {
    ...sparkEnv(server),
    HOME: home,
    SPARK_CONFIG: join(home, 'config.json'),
    KUBECONFIG: kubeconfig,
    SSH_PUBLIC_KEY_PATH: join(home, 'id_ed25519.pub'),
    ANTHROPIC_API_KEY: 'sk-ant-fake.ESTATE.KEY',
  };
  return {
    cluster,
    home,
    env,
    async refusedKubeconfig() {
      const path = join(home, `refused-${Math.random().toString(36).slice(2)}`);
      writeFileSync(path, readFileSync(kubeconfig, 'utf8').replaceAll(`127.0.0.1:${cluster.port}`, `127.0.0.1:${await freePort()}`), { mode: 0o600 });
      return path;
    },
    objectsOf(name, namespace = 'spark') {
      return KINDS.flatMap((kind) => cluster.list(kind, namespace).filter((o) => o.metadata?.labels?.['spark-name'] === name).map((o) => `${kind}/${o.metadata?.name}`));
    },
    async databaseExists(name) {
      const client = await superuserClient(server);
      try {
        return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
      } finally {
        await client.end();
      }
    },
  };
}

export interface ListedSpark {
  name: string;
  state: string;
  reason: string | null;
  database: { name: string; closed?: boolean } | null;
}

export interface Listing {
  sparks: ListedSpark[];
  unavailable: Array<{ runtime: string; part: string; reason: string; fix: string | null }>;
}

export interface DoctorReport {
  checks: Array<{ id: string; title: string; status: string; detail?: string; fix?: string }>;
  ok: boolean;
}
