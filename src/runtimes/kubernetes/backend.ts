// The Kubernetes runtime paired with the shared PostgreSQL server's database layer.
import type { Config } from '../../config/index.js';
import { unavailableDatabases, type Backend } from '../../core/backend.js';
import type { DatabaseProvisioner } from '../../core/ports.js';
import { openSparkDatabases, settingsFromConfig } from '../../database/index.js';
import { SparkError } from '../../errors.js';
import { SparkSecrets } from './cli-config-secret.js';
import { openKubernetesRuntime } from './runtime.js';

export async function openKubernetesBackend(config: Config): Promise<Backend> {
  const runtime = openKubernetesRuntime(config);
  const databases = openDatabases(config);
  return { kind: 'kubernetes', runtime, databases, credentials: new SparkSecrets(runtime.client), close: () => databases.close() };
}

/** Connects lazily, and opens even without settings: listing still works when PostgreSQL cannot be asked. */
function openDatabases(config: Config): DatabaseProvisioner {
  try {
    return openSparkDatabases(settingsFromConfig(config), { runtime: 'kubernetes', namespace: config.get('SPARK_NAMESPACE') || 'spark' });
  } catch (error) {
    if (error instanceof SparkError) return unavailableDatabases(error);
    throw error;
  }
}
