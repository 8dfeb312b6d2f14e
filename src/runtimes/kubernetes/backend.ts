// The Kubernetes runtime paired with the shared PostgreSQL server's database layer.
import type { Config } from '../../config/index.js';
import type { Backend } from '../../core/backend.js';
import { openSparkDatabases, settingsFromConfig } from '../../database/index.js';
import { openKubernetesRuntime } from './runtime.js';

export async function openKubernetesBackend(config: Config): Promise<Backend> {
  const runtime = openKubernetesRuntime(config);
  // Connects lazily: listing still works when PostgreSQL is unreachable.
  const databases = openSparkDatabases(settingsFromConfig(config));
  return { kind: 'kubernetes', runtime, databases, close: () => databases.close() };
}
