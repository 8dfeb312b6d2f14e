import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { readDuration, readIdleTimeout } from '../duration.js';
import { connectionLimit, dns1123Label, dns1123Subdomain, hasControl, host, imageReference, isHost, quantity, repoKind, tailscaleTags } from './inputs.js';

/** Every setting spark reads, with its default and whether it is a secret. The README table mirrors this. */
export interface KeySpec {
  description: string;
  default?: (env: NodeJS.ProcessEnv) => string | undefined;
  secret?: boolean;
  schema?: z.ZodType<string>;
  /** A valid value, shown in the fix when the value is invalid. */
  example?: string;
}

const port = z.string().regex(/^\d+$/, 'must be a port number').refine((v) => Number(v) > 0 && Number(v) < 65536, 'must be between 1 and 65535');
const identifierLike = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'must be a PostgreSQL role or database name (letters, digits, _ - $; at most 63)');

// The CLI may also reach PostgreSQL through a Unix socket directory.
const postgresHost = z.string().refine((v) => isHost(v) || (v.startsWith('/') && !hasControl(v)), 'must be a host name, an IP address or a socket directory');

// A remote git URL (the cluster clones it), or a path for the local runtime (checked with SPARK_RUNTIME).
const gitUrl = z.string().superRefine((v, ctx) => {
  const kind = repoKind(v);
  if (typeof kind === 'object') ctx.addIssue({ code: z.ZodIssueCode.custom, message: kind.problem });
});

// Durations by the one grammar of src/duration.ts.
const problemOf = (result: unknown): string | undefined => (typeof result === 'object' && result !== null && 'problem' in result ? String(result.problem) : undefined);
const duration = z.string().superRefine((v, ctx) => {
  const problem = problemOf(readDuration(v));
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
const idleTimeout = z.string().superRefine((v, ctx) => {
  const problem = problemOf(readIdleTimeout(v));
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${problem} (or 0 for never)` });
});

function dataHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
}

export const KEYS = {
  POSTGRES_HOST: { description: 'where the CLI reaches PostgreSQL', default: () => 'postgres.postgres.svc.cluster.local', schema: postgresHost, example: 'postgres.postgres.svc.cluster.local' },
  POSTGRES_PORT: { description: 'PostgreSQL port', default: () => '5432', schema: port, example: '5432' },
  POSTGRES_USER: { description: 'the least-privileged spark role (never the superuser)', default: () => 'spark', schema: identifierLike },
  POSTGRES_PASSWORD: { description: "the spark role's password", secret: true },
  POSTGRES_DB: { description: 'database the CLI connects to for admin work', default: () => 'homelab', schema: identifierLike },
  POSTGRES_SSLMODE: { description: 'sslmode written into connections and DATABASE_URL', default: () => 'disable', schema: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']) },
  SPARK_DATABASE_HOST: { description: "host written into sparks' DATABASE_URL", default: (env) => env.POSTGRES_HOST, schema: host, example: 'postgres.postgres.svc.cluster.local' },
  SPARK_DB_ISOLATION: { description: 'shared: sparks use the spark role; role: one login role per spark (PostgreSQL 16+)', default: () => 'shared', schema: z.enum(['shared', 'role']) },
  SPARK_DB_CONNECTION_LIMIT: { description: "connection limit of each spark's database", default: () => '20', schema: connectionLimit, example: '20' },
  ANTHROPIC_API_KEY: { description: 'passed to sparks for Claude Code', secret: true },
  GITHUB_TOKEN: { description: 'private repos and gh inside sparks', secret: true },
  SSH_PUBLIC_KEY_PATH: { description: 'public key authorised in sparks', default: (env) => join(env.HOME || homedir(), '.ssh', 'id_ed25519.pub') },
  SPARK_NAMESPACE: { description: 'Kubernetes namespace of sparks', default: () => 'spark', schema: dns1123Label, example: 'spark' },
  SPARK_CONTEXT: { description: 'kube context (default: the current context, or in-cluster)' },
  KUBECONFIG: { description: "kubeconfig path(s) (default: kubectl's)" },
  SPARK_RUNTIME: { description: 'where sparks run: kubernetes or local', default: () => 'kubernetes', schema: z.enum(['kubernetes', 'local']) },
  SPARK_DATA_DIR: { description: 'local runtime workspaces and embedded PostgreSQL', default: (env) => join(dataHome(env), 'spark') },
  SPARK_IMAGE: { description: 'container image of sparks', default: () => 'debian:bookworm', schema: imageReference, example: 'ghcr.io/me/spark:latest' },
  SPARK_DB_TEMPLATE: { description: 'golden template every new spark\'s database is copied from (spark db template create)', schema: dns1123Label, example: 'app-schema' },
  SPARK_DOTFILES_REPO: { description: 'git URL of dotfiles installed in sparks', schema: gitUrl, example: 'https://github.com/me/dotfiles.git' },
  SPARK_SSH: { description: 'SSH program used by create and shell', default: () => 'ssh' },
  SPARK_STORAGE_SIZE: { description: 'home volume size', default: () => '10Gi', schema: quantity, example: '10Gi' },
  SPARK_STORAGE_CLASS: { description: 'storage class of the home volume (default: the cluster default)', schema: dns1123Subdomain, example: 'local-path' },
  SPARK_CPU_REQUEST: { description: 'CPU request', default: () => '250m', schema: quantity, example: '250m' },
  SPARK_CPU_LIMIT: { description: 'CPU limit', default: () => '2', schema: quantity, example: '2' },
  SPARK_MEMORY_REQUEST: { description: 'memory request', default: () => '512Mi', schema: quantity, example: '512Mi' },
  SPARK_MEMORY_LIMIT: { description: 'memory limit', default: () => '4Gi', schema: quantity, example: '4Gi' },
  SPARK_TOOLS_PVC: { description: 'shared tools volume mounted read-only in sparks (see deploy/tools-pvc.yaml)', schema: dns1123Subdomain, example: 'spark-tools' },
  SPARK_DEFAULT_TTL: { description: 'expiry of new sparks (create --ttl): after it, spark reap deletes them (default: none)', schema: duration, example: '7d' },
  SPARK_IDLE_TIMEOUT: { description: 'spark reap puts sparks to sleep after this long without an SSH session (0: never)', default: () => '2h', schema: idleTimeout, example: '2h' },
  SPARK_TAILSCALE_TAGS: { description: 'tailscale.com/tags for the SSH Service', schema: tailscaleTags, example: 'tag:spark,tag:dev' },
  SPARK_TAILSCALE_PROXY_CLASS: { description: 'tailscale.com/proxy-class for the SSH Service', schema: dns1123Subdomain, example: 'default' },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];
export const SECRET_KEYS = CONFIG_KEYS.filter((k) => (KEYS[k] as KeySpec).secret);

/**
 * What a command that only reads the shared PostgreSQL server needs of the configuration (list,
 * status): the spark-cli-config Secret is asked only when one of these is not given locally.
 */
export const CONNECTION_KEYS: readonly ConfigKey[] = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB', 'POSTGRES_SSLMODE'];
