import type { SparkSpec } from './ports.js';

/** The secret part of a spark's environment, the same on every runtime: only the values that are set. */
export function secretEnvOf(spec: SparkSpec): { DATABASE_URL: string; ANTHROPIC_API_KEY?: string; GITHUB_TOKEN?: string } {
  return {
    DATABASE_URL: spec.databaseUrl,
    ...(spec.anthropicApiKey ? { ANTHROPIC_API_KEY: spec.anthropicApiKey } : {}),
    ...(spec.githubToken ? { GITHUB_TOKEN: spec.githubToken } : {}),
  };
}
