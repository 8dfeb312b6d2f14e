/**
 * A throwaway home for the commands measured: HOME, XDG dirs, kubectl's discovery cache, an SSH
 * public key and spark's config file, so nothing of the user's own setup leaks into a figure.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Workspace {
  dir: string;
  home: string;
  kubeconfig: string;
  configFile: string;
  sshPublicKey: string;
  sshPublicKeyPath: string;
  remove(): void;
}

/** An OpenSSH `ssh-ed25519 AAAA…` line for a fresh key (the private half is thrown away). */
function sshEd25519PublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} bench@spark`;
}

export function makeWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'spark-bench-'));
  const home = join(dir, 'home');
  for (const d of [home, join(home, '.ssh'), join(dir, 'config'), join(dir, 'data'), join(dir, 'cache'), join(dir, 'kubecache')]) mkdirSync(d, { recursive: true });
  const sshPublicKey = sshEd25519PublicKey();
  const sshPublicKeyPath = join(home, '.ssh', 'id_ed25519.pub');
  writeFileSync(sshPublicKeyPath, `${sshPublicKey}\n`);
  return {
    dir,
    home,
    kubeconfig: join(dir, 'kubeconfig'),
    configFile: join(dir, 'spark-config.json'),
    sshPublicKey,
    sshPublicKeyPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The environment every measured command gets (spark, kubectl and node alike): nothing inherited but PATH. */
export function commandEnv(ws: Workspace): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: ws.home,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    NO_COLOR: '1',
    XDG_CONFIG_HOME: join(ws.dir, 'config'),
    XDG_DATA_HOME: join(ws.dir, 'data'),
    XDG_CACHE_HOME: join(ws.dir, 'cache'),
    KUBECONFIG: ws.kubeconfig,
    KUBECACHEDIR: join(ws.dir, 'kubecache'),
    SPARK_CONFIG: ws.configFile,
  };
}

/** spark's config file: the real PostgreSQL server and the fake cluster's namespace. */
export function writeSparkConfig(ws: Workspace, values: Record<string, string>): void {
  writeFileSync(
    ws.configFile,
    JSON.stringify(
      {
        SPARK_RUNTIME: 'kubernetes',
        SPARK_NAMESPACE: 'spark',
        SSH_PUBLIC_KEY_PATH: ws.sshPublicKeyPath,
        // A placeholder so create does not warn; never sent anywhere but the fake cluster.
        ANTHROPIC_API_KEY: 'sk-ant-bench-placeholder',
        ...values,
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
}
