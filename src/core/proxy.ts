/**
 * `spark proxy HOST [PORT]`, ssh's ProxyCommand (see `spark ssh-config`): which spark ssh means,
 * woken if it sleeps, and where its SSH listens. The CLI then relays the bytes.
 */
import { SparkError, usageError } from '../errors.js';
import type { Backend } from './backend.js';
import { requireCapability } from './capabilities.js';
import { readyToConnect, type ConnectOptions } from './sleep.js';

/** `spark-NAME`, `spark-NAME.tailnet.ts.net` (ssh's %n) or plain `NAME` → NAME. */
export function sparkNameFromHost(host: string): string {
  const first = host.replace(/^[^@]*@/, '').split('.')[0] ?? '';
  return first.startsWith('spark-') ? first.slice('spark-'.length) : first;
}

export function parsePort(text: string): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw usageError(`Invalid port ${JSON.stringify(text)}.`, 'Give a number from 1 to 65535 (ssh passes %p: the default 22).');
  return n;
}

/** Wake the spark if it sleeps (waiting until it is ready), then say where to connect. */
export async function proxyTarget(backend: Backend, name: string, options: ConnectOptions): Promise<{ address: string; woke: boolean }> {
  const forward = requireCapability(backend.runtime, 'forward');
  const { sshAddress } = forward;
  if (!sshAddress) throw new SparkError(`The ${backend.runtime.kind} runtime cannot relay ssh to a spark.`, { hint: `Connect with: spark shell ${name}`, code: 'UNSUPPORTED' });
  const woke = await readyToConnect(backend, name, options);
  return { address: await sshAddress(name), woke };
}
