/**
 * The kubeconfig read the way kubectl reads it, without the typed Kubernetes client (~120 ms of
 * start-up): files merged (the first to define a name wins, the current context from the first file
 * that sets one), relative paths against their file's directory, --context, and in-cluster
 * service-account credentials. What it yields is one resolved context: the server, its TLS settings
 * and the user's credentials (token, token file, client certificate, basic auth, exec plugin).
 *
 * Two forms go through @kubernetes/client-node (`viaTypedClient`): the legacy `auth-provider`
 * plugins (gcp, azure, oidc) and `proxy-url`. Nothing else loads it.
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SparkError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { describeKubeconfigSearch, inCluster, kubeconfigPaths, SERVICE_ACCOUNT_TOKEN, type ClusterSettings } from './cluster-config.js';

export const SERVICE_ACCOUNT_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  provideClusterInfo?: boolean;
}

export interface KubeCluster {
  name: string;
  server: string;
  caFile?: string;
  caData?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

export interface KubeUser {
  name: string;
  token?: string;
  tokenFile?: string;
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  authProvider?: { name?: string; config?: Record<string, unknown> };
}

export interface KubeContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

/** The chosen context with its cluster and user; `paths` are the files it came from (none in-cluster). */
export interface ResolvedKubeconfig {
  currentContext: string;
  context: KubeContext;
  cluster: KubeCluster;
  user: KubeUser;
  paths: string[];
  /** The whole merged file, for the forms handed to the typed client. */
  raw: { clusters: KubeCluster[]; users: KubeUser[]; contexts: KubeContext[] };
}

/** Handled by @kubernetes/client-node (loaded only then): legacy auth-provider plugins and proxies. */
export function viaTypedClient(config: ResolvedKubeconfig): boolean {
  return Boolean(config.user.authProvider || config.cluster.proxyUrl);
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const named = (v: unknown): Raw[] => (Array.isArray(v) ? v.map(obj).filter((e) => typeof e.name === 'string') : []);

/** Paths in a kubeconfig are relative to the file (as kubectl resolves them). */
const within = (dir: string, path: string | undefined): string | undefined => (path === undefined ? undefined : isAbsolute(path) ? path : resolve(dir, path));

function parseExec(raw: Raw, dir: string): ExecConfig | undefined {
  const command = str(raw.command);
  if (!command) return undefined;
  return {
    apiVersion: str(raw.apiVersion),
    // kubectl: a command with a path separator is relative to the kubeconfig; a bare name is looked up in PATH.
    command: command.includes('/') ? within(dir, command)! : command,
    args: Array.isArray(raw.args) ? raw.args.map(String) : undefined,
    env: Array.isArray(raw.env) ? raw.env.map(obj).filter((e) => typeof e.name === 'string').map((e) => ({ name: String(e.name), value: String(e.value ?? '') })) : undefined,
    provideClusterInfo: raw.provideClusterInfo === true,
  };
}

/** A command reads its kubeconfig more than once (the Secret, then the runtime): parse each text once. */
const parsed = new Map<string, Raw>();
function parsedYaml(text: string): Raw {
  let doc = parsed.get(text);
  if (!doc) parsed.set(text, (doc = obj(parseYaml(text))));
  return doc;
}

/** One file's clusters, users and contexts. */
function readOne(path: string): { clusters: KubeCluster[]; users: KubeUser[]; contexts: KubeContext[]; currentContext?: string } {
  let doc: Raw;
  try {
    const text = readFileSync(path, 'utf8');
    doc = parsedYaml(text);
  } catch (error) {
    throw new SparkError(`Cannot read the kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Fix or remove the file (kubectl config view shows what kubectl makes of it), or point KUBECONFIG elsewhere.',
      code: 'KUBECONFIG_INVALID',
    });
  }
  const dir = dirname(path);
  const clusters = named(doc.clusters).map((e): KubeCluster => {
    const c = obj(e.cluster);
    return {
      name: String(e.name),
      server: str(c.server) ?? '',
      caFile: within(dir, str(c['certificate-authority'])),
      caData: str(c['certificate-authority-data']),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: str(c['tls-server-name']),
      proxyUrl: str(c['proxy-url']),
    };
  });
  const users = named(doc.users).map((e): KubeUser => {
    const u = obj(e.user);
    const exec = Object.keys(obj(u.exec)).length ? parseExec(obj(u.exec), dir) : undefined;
    const provider = obj(u['auth-provider']);
    return {
      name: String(e.name),
      token: str(u.token),
      tokenFile: within(dir, str(u.tokenFile)),
      certFile: within(dir, str(u['client-certificate'])),
      certData: str(u['client-certificate-data']),
      keyFile: within(dir, str(u['client-key'])),
      keyData: str(u['client-key-data']),
      username: str(u.username),
      password: str(u.password),
      exec,
      authProvider: Object.keys(provider).length ? { name: str(provider.name), config: obj(provider.config) } : undefined,
    };
  });
  const contexts = named(doc.contexts).map((e): KubeContext => {
    const c = obj(e.context);
    return { name: String(e.name), cluster: str(c.cluster) ?? '', user: str(c.user) ?? '', namespace: str(c.namespace) };
  });
  return { clusters, users, contexts, currentContext: str(doc['current-context']) };
}

function inClusterConfig(env: NodeJS.ProcessEnv): ResolvedKubeconfig['raw'] & { currentContext: string } {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  // As client-go and client-node: the well-known insecure ports mean plain HTTP.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return {
    clusters: [{ name: 'inCluster', server, caFile: SERVICE_ACCOUNT_CA }],
    users: [{ name: 'inClusterUser', tokenFile: SERVICE_ACCOUNT_TOKEN }],
    contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser' }],
    currentContext: 'inClusterContext',
  };
}

const NO_CLUSTER_HINT =
  'To use a cluster, set KUBECONFIG or pass --context (kubectl config get-contexts lists them).\nTo try spark on this machine instead: spark create --runtime local';

/**
 * The kubeconfig for these settings, resolved to one context; a SparkError when there is none, the
 * context does not exist, or it names a cluster the files do not have. Synchronous, like kubectl's
 * loading: a bad context is reported before any request.
 */
export function readKubeconfig(settings: ClusterSettings, env: NodeJS.ProcessEnv = process.env): ResolvedKubeconfig {
  const paths = kubeconfigPaths(settings, env);
  const clusters = new Map<string, KubeCluster>();
  const users = new Map<string, KubeUser>();
  const contexts = new Map<string, KubeContext>();
  let currentContext = '';
  if (paths.length > 0) {
    for (const path of paths) {
      const one = readOne(path);
      for (const c of one.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
      for (const u of one.users) if (!users.has(u.name)) users.set(u.name, u);
      for (const c of one.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
      if (!currentContext && one.currentContext) currentContext = one.currentContext;
    }
  } else if (inCluster(env)) {
    const one = inClusterConfig(env);
    one.clusters.forEach((c) => clusters.set(c.name, c));
    one.users.forEach((u) => users.set(u.name, u));
    one.contexts.forEach((c) => contexts.set(c.name, c));
    currentContext = one.currentContext;
  } else {
    throw new SparkError(`No Kubernetes cluster is configured: no kubeconfig was found (${describeKubeconfigSearch(settings, env)}) and spark is not running inside a cluster.`, {
      hint: NO_CLUSTER_HINT,
      code: 'NO_CLUSTER',
    });
  }
  const wanted = settings.SPARK_CONTEXT;
  if (wanted) {
    if (!contexts.has(wanted)) {
      throw new SparkError(`The kube context "${wanted}" does not exist${paths.length ? ` in ${paths.join(', ')}` : ''}.`, {
        hint: `Known contexts: ${[...contexts.keys()].join(', ') || 'none'}. See them with: kubectl config get-contexts`,
        code: 'KUBE_CONTEXT_MISSING',
        exitCode: 2,
      });
    }
    currentContext = wanted;
  }
  const context = contexts.get(currentContext);
  if (!currentContext || !context) {
    throw new SparkError(currentContext ? `The current kube context "${currentContext}" does not exist.` : 'No kube context is selected (the kubeconfig has no current-context).', {
      hint: `Choose one: kubectl config use-context <name>, or pass --context. kubectl config get-contexts lists them.\nTo try spark on this machine instead: spark create --runtime local`,
      code: 'NO_CLUSTER',
    });
  }
  const cluster = clusters.get(context.cluster);
  if (!cluster) {
    throw new SparkError(`The kube context "${currentContext}" names a cluster that is not in the kubeconfig.`, {
      hint: 'Check it with: kubectl config view --minify',
      code: 'KUBECONFIG_INVALID',
    });
  }
  // A context without a user is anonymous (kubectl allows it).
  const user = users.get(context.user) ?? { name: context.user };
  registerSecret(user.token);
  registerSecret(user.password);
  for (const value of Object.values(user.authProvider?.config ?? {})) {
    if (typeof value === 'string' && value.length >= 16) registerSecret(value);
  }
  return { currentContext, context, cluster, user, paths, raw: { clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()] } };
}
