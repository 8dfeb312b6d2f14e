import type { ConfigValues } from '../../config/index.js';

/**
 * The `spark-cli-config` Secret as a configuration source (the seam the Kubernetes runtime fills in).
 * Returns undefined when no cluster is reachable, so configuration never fails because of it.
 */
export async function readCliConfigSecret(_partial: ConfigValues): Promise<ConfigValues | undefined> {
  return undefined;
}
