/**
 * Whether a cluster is configured at all, answered without loading the Kubernetes client (which is
 * heavy): the kubeconfig files kubectl would read, or in-cluster service-account credentials.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The settings that say which cluster and namespace (a subset of the spark configuration). */
export interface ClusterSettings {
  KUBECONFIG?: string;
  SPARK_CONTEXT?: string;
  SPARK_NAMESPACE?: string;
}

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The kubeconfig files kubectl would read: KUBECONFIG (a list; missing files are skipped) or ~/.kube/config. */
export function kubeconfigPaths(settings: ClusterSettings, env: NodeJS.ProcessEnv = process.env): string[] {
  const list = settings.KUBECONFIG ?? env.KUBECONFIG;
  if (list) return list.split(delimiter).filter((p) => p && existsSync(p));
  const home = join(env.HOME || homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** Where kubectl's kubeconfig was looked for, for the message when none was found. */
export function describeKubeconfigSearch(settings: ClusterSettings, env: NodeJS.ProcessEnv = process.env): string {
  const list = settings.KUBECONFIG ?? env.KUBECONFIG;
  if (!list) return `looked at ${join(env.HOME || homedir(), '.kube', 'config')}: not found; KUBECONFIG is not set`;
  const paths = list.split(delimiter).filter(Boolean);
  return `looked at KUBECONFIG=${paths.join(delimiter)}: ${paths.length > 1 ? 'none of these files exists' : 'no such file'}`;
}

/** Running in a pod with a service account (what the client's in-cluster loading needs). */
export function inCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/** A kubeconfig file or in-cluster credentials exist. */
export function hasClusterConfig(settings: ClusterSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  return kubeconfigPaths(settings, env).length > 0 || inCluster(env);
}
