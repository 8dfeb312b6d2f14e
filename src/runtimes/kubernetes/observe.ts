/** The capabilities of a Kubernetes spark that read or reach it: activity, logs, port forwarding. */
import type { RuntimeCapabilities } from '../../core/ports.js';
import { kubernetesActivity } from './activity.js';
import type { KubeClient } from './client.js';
import { kubernetesForward } from './forward.js';
import { kubernetesLogs } from './logs.js';

/** `runtime` is read lazily: the runtime's own fields are set after its capabilities are made. */
export function observeCapabilities(runtime: () => { client: KubeClient; ssh?: string }): Pick<RuntimeCapabilities, 'activity' | 'logs' | 'forward'> {
  const client = (): KubeClient => runtime().client;
  return { activity: kubernetesActivity(client), logs: kubernetesLogs(client), forward: kubernetesForward(() => runtime().ssh) };
}
