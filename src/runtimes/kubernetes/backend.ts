// Composition of the Kubernetes runtime with the shared-server database layer (the lead wires this).
import type { Config } from '../../config/index.js';
import type { Backend } from '../../core/backend.js';
import { SparkError } from '../../errors.js';

export async function openKubernetesBackend(_config: Config): Promise<Backend> {
  throw new SparkError('The Kubernetes runtime is not wired yet.');
}
