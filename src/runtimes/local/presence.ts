/**
 * Is the local runtime in use here, and does it hold a spark of this name? Answered from the data
 * directory alone (one directory read): starts nothing and loads no driver, so the registry can ask.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Config } from '../../config/index.js';
import { nameProblem } from '../../names/index.js';
import { layoutOf, leftoversOf, workspaceOf } from './layout.js';

/** Does the data directory hold any local spark, or the remains of one? Cheap (one directory read); starts nothing. */
export async function hasLocalSparks(config: Config): Promise<boolean> {
  try {
    return readdirSync(layoutOf(config.require('SPARK_DATA_DIR')).sparksDir).some((entry) => !nameProblem(entry) || entry.startsWith('.deleting-'));
  } catch {
    return false;
  }
}

/** Is `name` a local spark (has a workspace, or the remains of one being deleted)? Starts nothing. */
export async function hasLocalSpark(config: Config, name: string): Promise<boolean> {
  if (nameProblem(name)) return false;
  const layout = layoutOf(config.require('SPARK_DATA_DIR'));
  return existsSync(workspaceOf(layout, name).dir) || leftoversOf(layout, name).length > 0;
}

/** Has the local runtime been used here (its data directory holds a server or sparks)? */
export function hasLocalData(config: Config): boolean {
  const layout = layoutOf(config.require('SPARK_DATA_DIR'));
  return existsSync(layout.stateFile) || existsSync(layout.sparksDir);
}

/** The names of the local workspaces (for "did you mean"). */
export function localSparkNames(config: Config): string[] {
  try {
    return readdirSync(layoutOf(config.require('SPARK_DATA_DIR')).sparksDir).filter((entry) => !nameProblem(entry));
  } catch {
    return [];
  }
}
