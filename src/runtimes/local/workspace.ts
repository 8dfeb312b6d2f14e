/**
 * The files of one local spark: spark.json (what it is; never secrets) and spark.env (its
 * environment, mode 600, in a form `set -a; . ./spark.env` also reads).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Isolation, SparkSpec } from '../../core/ports.js';
import { secretEnvOf } from '../../core/spark-env.js';
import { registerSecret } from '../../redact.js';

export interface SparkMeta {
  name: string;
  runtime: 'local';
  createdAt: string;
  repo?: string;
  database: string;
  isolation: Isolation;
  creator: string;
}

export function metaOf(spec: SparkSpec, repo: string | undefined): SparkMeta {
  return { name: spec.name, runtime: 'local', createdAt: spec.createdAt, ...(repo ? { repo } : {}), database: spec.databaseName, isolation: spec.isolation, creator: spec.creator };
}

export function readMeta(file: string): SparkMeta | undefined {
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as SparkMeta;
    return typeof meta.name === 'string' ? meta : undefined;
  } catch {
    return undefined;
  }
}

/** Write whole or not at all: a reader never sees half a file. */
export function writeAtomic(file: string, text: string, mode: number): void {
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, text, { mode });
  renameSync(staging, file);
}

/** spark.env: the spark's secret environment (as in a Kubernetes spark's Secret) and its name. */
export function envOf(spec: SparkSpec): Record<string, string> {
  const { DATABASE_URL, ...keys } = secretEnvOf(spec);
  return { DATABASE_URL, SPARK_NAME: spec.name, ...keys };
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

export function renderEnv(env: Record<string, string>): string {
  const lines = ['# spark: this spark\'s environment (secrets: keep this file private)'];
  for (const [key, value] of Object.entries(env)) lines.push(`${key}=${quote(value)}`);
  return `${lines.join('\n')}\n`;
}

/** Reads what renderEnv wrote (single-quoted values, '\'' for a quote; values may span lines). */
export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)'$/gm)) {
    const key = match[1]!;
    const value = match[2]!.replace(/'\\''/g, "'");
    env[key] = value;
    if (key === 'DATABASE_URL') registerSecret(urlPassword(value));
    else if (key !== 'SPARK_NAME') registerSecret(value);
  }
  return env;
}

function urlPassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return undefined;
  }
}

export function readEnv(file: string): Record<string, string> | undefined {
  try {
    return parseEnv(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
