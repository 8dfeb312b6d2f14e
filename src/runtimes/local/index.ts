// PLACEHOLDER written by the lead so the tree typechecks: the local-runtime engineer replaces this
// file, keeping these exports (the CLI imports them): openLocalBackend, hasLocalSparks,
// hasLocalSpark(config, name), embeddedStatus(dataDir), stopEmbedded(dataDir) → boolean.
import type { Config } from '../../config/index.js';
import type { Backend } from '../../core/backend.js';
import { SparkError } from '../../errors.js';

export async function openLocalBackend(_config: Config): Promise<Backend> {
  throw new SparkError('The local runtime is not ready yet.');
}
export async function hasLocalSparks(_config: Config): Promise<boolean> {
  return false;
}
export async function hasLocalSpark(_config: Config, _name: string): Promise<boolean> {
  return false;
}
export async function embeddedStatus(dataDir: string): Promise<{ initialised: boolean; running: boolean; port?: number; pid?: number; dataDir: string; version?: string }> {
  return { initialised: false, running: false, dataDir };
}
export async function stopEmbedded(_dataDir: string): Promise<boolean> {
  return false;
}
