/**
 * Where `spark proxy` connects: the address the Tailscale operator wrote into the SSH Service's
 * status (status.loadBalancer.ingress: ip first, then hostname), else the tailnet name
 * `spark-NAME` (MagicDNS resolves it).
 */
import type { RuntimeCapabilities } from '../../core/ports.js';
import type { k8s, KubeClient } from './client.js';
import { serviceName, tailnetHostname } from './labels.js';

export async function sshAddress(c: KubeClient, name: string): Promise<string> {
  const service = await c.find<k8s.V1Service>({ verb: 'get', resource: 'services', name: serviceName(name) }, c.path(undefined, 'services', serviceName(name)));
  const ingress = service?.status?.loadBalancer?.ingress ?? [];
  return ingress.find((i) => i.ip)?.ip ?? ingress.find((i) => i.hostname)?.hostname ?? tailnetHostname(name);
}

export function withSshAddress(capabilities: RuntimeCapabilities, client: () => KubeClient): RuntimeCapabilities {
  if (!capabilities.forward) return capabilities;
  return { ...capabilities, forward: { ...capabilities.forward, sshAddress: (name) => sshAddress(client(), name) } };
}
