/**
 * Where the local runtime keeps things under the data directory (SPARK_DATA_DIR):
 *
 *   <dataDir>/sparks/<name>/          one workspace per spark (home/, project/, spark.json, spark.env)
 *   <dataDir>/postgres/               the embedded server's cluster (as root it may live elsewhere: embedded.ts)
 *   <dataDir>/postgres.log            its log
 *   <dataDir>/postgres-superuser      its superuser password (600), used only for setup
 *   <dataDir>/spark-role-password     the spark role's password (600)
 *   <dataDir>/embedded.json           where the cluster is, its port, how the role was set up
 *   <dataDir>/embedded.lock/          held while initialising, starting or stopping the server
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Layout {
  dataDir: string;
  sparksDir: string;
  defaultCluster: string;
  logFile: string;
  superuserFile: string;
  roleFile: string;
  stateFile: string;
  lockDir: string;
}

export function layoutOf(dataDir: string): Layout {
  const root = resolve(dataDir);
  return {
    dataDir: root,
    sparksDir: join(root, 'sparks'),
    defaultCluster: join(root, 'postgres'),
    logFile: join(root, 'postgres.log'),
    superuserFile: join(root, 'postgres-superuser'),
    roleFile: join(root, 'spark-role-password'),
    stateFile: join(root, 'embedded.json'),
    lockDir: join(root, 'embedded.lock'),
  };
}

export interface WorkspacePaths {
  dir: string;
  home: string;
  project: string;
  meta: string;
  env: string;
  /** The in-flight mark of a create still running (core/inflight.ts). */
  creating: string;
}

export function workspaceOf(layout: Layout, name: string): WorkspacePaths {
  const dir = join(layout.sparksDir, name);
  return { dir, home: join(dir, 'home'), project: join(dir, 'project'), meta: join(dir, 'spark.json'), env: join(dir, 'spark.env'), creating: join(dir, '.creating') };
}

/** A workspace is moved to `.deleting-<name>-<random>` before it is removed. */
export const deletingName = (name: string, suffix: string): string => `.deleting-${name}-${suffix}`;

/** Workspaces moved aside whose removal did not finish: all of them, or those of one spark. */
export function leftoversOf(layout: Layout, name?: string): string[] {
  try {
    return readdirSync(layout.sparksDir)
      .filter((entry) => (name ? entry.startsWith(deletingName(name, '')) && /^[0-9a-f]+$/.test(entry.slice(deletingName(name, '').length)) : entry.startsWith('.deleting-')))
      .map((entry) => join(layout.sparksDir, entry));
  } catch {
    return [];
  }
}
