/**
 * Sparks seeded straight into the fake cluster (not through `spark create`): each one is the five
 * objects spark itself makes, built by the pure `sparkManifests`, so list sees what it would see.
 */
import { DEFAULT_MANIFEST_OPTIONS, manifestList, sparkManifests } from '../../src/runtimes/kubernetes/manifests.js';
import type { SparkSpec } from '../../src/core/ports.js';

export const SEED_PREFIX = 'seed';

export function seedName(i: number): string {
  return `${SEED_PREFIX}-${String(i).padStart(4, '0')}`;
}

export function seedSpec(i: number, options: { sshPublicKey: string; databaseHost: string; databasePort: string }): SparkSpec {
  const name = seedName(i);
  // Distinct, stable creation times, a minute apart, so the listing's sort has work to do.
  const createdAt = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  return {
    name,
    databaseName: name,
    // A placeholder password: seeded sparks are never connected to.
    databaseUrl: `postgresql://spark:seeded@${options.databaseHost}:${options.databasePort}/${name}?sslmode=disable`,
    isolation: 'shared',
    createdAt,
    creator: 'bench@spark',
    sshPublicKey: options.sshPublicKey,
    repo: i % 3 === 0 ? `https://github.com/example/project-${i}.git` : undefined,
  };
}

/** The objects of sparks [from, to) as plain JSON, in spark's own creation order. */
export function seedObjects(from: number, to: number, options: Parameters<typeof seedSpec>[1]): Array<Record<string, unknown>> {
  const objects: Array<Record<string, unknown>> = [];
  for (let i = from; i < to; i++) {
    for (const object of manifestList(sparkManifests(seedSpec(i, options), DEFAULT_MANIFEST_OPTIONS))) {
      objects.push(JSON.parse(JSON.stringify(object)) as Record<string, unknown>);
    }
  }
  return objects;
}
