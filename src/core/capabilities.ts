/** Asking a runtime for an optional ability (ports.ts RuntimeCapabilities), with a clear "no" when it lacks it. */
import { SparkError } from '../errors.js';
import type { CapabilityName, Runtime, RuntimeCapabilities } from './ports.js';
import { termsOf } from './runtime-terms.js';

const ABILITY: Record<CapabilityName, string> = {
  sleep: 'put sparks to sleep or wake them',
  activity: 'report what a spark is doing',
  logs: 'show a spark\'s log',
  forward: 'forward ports to a spark',
  expiry: 'give sparks an expiry time',
};

export function requireCapability<K extends CapabilityName>(runtime: Runtime, name: K): NonNullable<RuntimeCapabilities[K]> {
  const capability = runtime.capabilities[name];
  if (capability) return capability as NonNullable<RuntimeCapabilities[K]>;
  throw new SparkError(`The ${runtime.kind} runtime cannot ${ABILITY[name]}.`, {
    code: 'UNSUPPORTED',
    hint: termsOf(runtime.kind).missingCapability,
  });
}
