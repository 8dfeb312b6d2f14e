import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The spark names shell completion offers, one a line. Written by list (and kept up to date by
 * create and delete) so that pressing TAB never asks the cluster or PostgreSQL.
 */
export function nameCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'spark', 'names');
}

export function cachedNames(): string[] {
  try {
    return readFileSync(nameCachePath(), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Best effort: a cache that cannot be written only makes completion poorer. */
export function rememberNames(names: string[]): void {
  const path = nameCachePath();
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}`;
    writeFileSync(temporary, names.length ? `${[...new Set(names)].join('\n')}\n` : '');
    renameSync(temporary, path);
  } catch {
    // completion falls back to what it knew
  }
}

export function updateNames(add: string[], remove: string[] = []): void {
  const gone = new Set(remove);
  rememberNames([...cachedNames(), ...add].filter((n) => !gone.has(n)));
}
