import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** Every setting spark reads, with its default and whether it is a secret. The README table mirrors this. */
export interface KeySpec {
  description: string;
  default?: (env: NodeJS.ProcessEnv) => string | undefined;
  secret?: boolean;
  schema?: z.ZodType<string>;
}

const port = z.string().regex(/^\d+$/, 'must be a port number').refine((v) => Number(v) > 0 && Number(v) < 65536, 'must be between 1 and 65535');
const positiveInt = z.string().regex(/^\d+$/, 'must be a whole number');
const quantity = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|m|k|M|G|T)?$/, 'must be a Kubernetes quantity like 10Gi or 500m');
const identifierLike = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'must be a PostgreSQL role or database name (letters, digits, _ - $; at most 63)');

function dataHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
}

export const KEYS = {
  POSTGRES_HOST: { description: 'where the CLI reaches PostgreSQL', default: () => 'postgres.postgres.svc.cluster.local', schema: z.string().min(1) },
  POSTGRES_PORT: { description: 'PostgreSQL port', default: () => '5432', schema: port },
  POSTGRES_USER: { description: 'the least-privileged spark role (never the superuser)', default: () => 'spark', schema: identifierLike },
  POSTGRES_PASSWORD: { description: "the spark role's password", secret: true },
  POSTGRES_DB: { description: 'database the CLI connects to for admin work', default: () => 'homelab', schema: identifierLike },
  POSTGRES_SSLMODE: { description: 'sslmode written into connections and DATABASE_URL', default: () => 'disable', schema: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']) },
  SPARK_DATABASE_HOST: { description: "host written into sparks' DATABASE_URL", default: (env) => env.POSTGRES_HOST, schema: z.string().min(1) },
  SPARK_DB_ISOLATION: { description: 'shared: sparks use the spark role; role: one login role per spark (PostgreSQL 16+)', default: () => 'shared', schema: z.enum(['shared', 'role']) },
  SPARK_DB_CONNECTION_LIMIT: { description: "connection limit of each spark's database", default: () => '20', schema: positiveInt },
  ANTHROPIC_API_KEY: { description: 'passed to sparks for Claude Code', secret: true },
  GITHUB_TOKEN: { description: 'private repos and gh inside sparks', secret: true },
  SSH_PUBLIC_KEY_PATH: { description: 'public key authorised in sparks', default: (env) => join(env.HOME || homedir(), '.ssh', 'id_ed25519.pub') },
  SPARK_NAMESPACE: { description: 'Kubernetes namespace of sparks', default: () => 'spark', schema: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS-1123 label') },
  SPARK_CONTEXT: { description: 'kube context (default: the current context, or in-cluster)' },
  KUBECONFIG: { description: "kubeconfig path(s) (default: kubectl's)" },
  SPARK_RUNTIME: { description: 'where sparks run: kubernetes or local', default: () => 'kubernetes', schema: z.enum(['kubernetes', 'local']) },
  SPARK_DATA_DIR: { description: 'local runtime workspaces and embedded PostgreSQL', default: (env) => join(dataHome(env), 'spark') },
  SPARK_IMAGE: { description: 'container image of sparks', default: () => 'debian:bookworm', schema: z.string().min(1) },
  SPARK_DOTFILES_REPO: { description: 'git URL of dotfiles installed in sparks' },
  SPARK_SSH: { description: 'SSH program used by create and shell', default: () => 'ssh' },
  SPARK_STORAGE_SIZE: { description: 'home volume size', default: () => '10Gi', schema: quantity },
  SPARK_STORAGE_CLASS: { description: 'storage class of the home volume (default: the cluster default)' },
  SPARK_CPU_REQUEST: { description: 'CPU request', default: () => '250m', schema: quantity },
  SPARK_CPU_LIMIT: { description: 'CPU limit', default: () => '2', schema: quantity },
  SPARK_MEMORY_REQUEST: { description: 'memory request', default: () => '512Mi', schema: quantity },
  SPARK_MEMORY_LIMIT: { description: 'memory limit', default: () => '4Gi', schema: quantity },
  SPARK_TOOLS_PVC: { description: 'shared tools volume mounted read-only in sparks (see deploy/tools-pvc.yaml)' },
  SPARK_TAILSCALE_TAGS: { description: 'tailscale.com/tags for the SSH Service' },
  SPARK_TAILSCALE_PROXY_CLASS: { description: 'tailscale.com/proxy-class for the SSH Service' },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];
export const SECRET_KEYS = CONFIG_KEYS.filter((k) => (KEYS[k] as KeySpec).secret);
