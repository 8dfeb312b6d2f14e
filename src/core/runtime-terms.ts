/**
 * How the use-cases name a runtime's parts in messages, one entry per runtime (the rest of what
 * differs between runtimes is src/runtimes/registry.ts, out of core's reach).
 */
import type { RuntimeKind } from './ports.js';

export interface RuntimeTerms {
  /** The root object whose making is the claim on a name: "ConfigMap", "workspace". */
  claim: string;
  /** What a spark is made of here, after "its": "cluster objects", "workspace". */
  objects: string;
  /** What is asked for the sparks: "the cluster", "the workspaces". */
  source: string;
  /** The scope a database's spark tag names: "namespace", "runtime". */
  scope: string;
  /** A spark of this scope: "spark in this namespace", "local spark". */
  sparkHere: string;
  /** Where a spark's files live, as a fork copies them: "home volume", "workspace". */
  home: string;
  /** What to do when the runtime lacks an optional capability. */
  missingCapability: string;
}

const TERMS = {
  kubernetes: {
    claim: 'ConfigMap',
    objects: 'cluster objects',
    source: 'the cluster',
    scope: 'namespace',
    sparkHere: 'spark in this namespace',
    home: 'home volume',
    missingCapability: 'Update spark: this runtime should support it.',
  },
  local: {
    claim: 'workspace',
    objects: 'workspace',
    source: 'the workspaces',
    scope: 'runtime',
    sparkHere: 'local spark',
    home: 'workspace',
    missingCapability: 'Use the kubernetes runtime for this (spark --help, "Runtimes"), or leave it out on this machine.',
  },
} satisfies Record<RuntimeKind, RuntimeTerms>;

export function termsOf(kind: RuntimeKind): RuntimeTerms {
  return TERMS[kind];
}
