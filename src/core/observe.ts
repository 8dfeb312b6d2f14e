/**
 * Looking at a spark and reaching into it: `spark logs`, `spark events`, `spark forward`. Each asks
 * the runtime for the optional capability it needs (a runtime without it says so plainly).
 */
import { SparkError, usageError } from '../errors.js';
import type { Backend } from './backend.js';
import { requireCapability } from './capabilities.js';
import type { PortForward, RuntimeStatus, ShellInvocation } from './ports.js';
import { readyToConnect, type ConnectOptions } from './sleep.js';
import { notFound } from './status.js';

/** `spark logs`: the container log, followed until `signal` aborts when `follow`. */
export async function sparkLogs(backend: Backend, name: string, options: { follow: boolean; sinceSeconds?: number; signal?: AbortSignal; write(text: string): void }): Promise<void> {
  const logs = requireCapability(backend.runtime, 'logs');
  if (!(await backend.runtime.exists(name))) throw await notFound(backend, name);
  await logs.logs(name, options);
}

/** `spark events`: what the cluster said about the spark's objects, oldest first (the same ones `status` shows). */
export async function sparkEvents(backend: Backend, name: string): Promise<RuntimeStatus['events']> {
  const status = await backend.runtime.status(name);
  if (!status) throw await notFound(backend, name);
  return status.events;
}

/** "8080" or "8080:3000" (local:remote), each 1–65535; a local port given twice is refused. */
export function parsePortForwards(specs: string[]): PortForward[] {
  const port = (text: string, spec: string): number => {
    const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= 65535)) throw usageError(`Invalid port ${JSON.stringify(spec)}.`, 'Give PORT or LOCAL:REMOTE, each a number from 1 to 65535, e.g. spark forward NAME 3000 8080:80');
    return n;
  };
  const forwards = specs.map((spec) => {
    const parts = spec.split(':');
    if (parts.length > 2) port('', spec);
    const local = port(parts[0]!, spec);
    return { local, remote: parts.length === 2 ? port(parts[1]!, spec) : local };
  });
  const seen = new Set<number>();
  for (const f of forwards) {
    if (seen.has(f.local)) throw usageError(`Local port ${f.local} is given twice.`, 'Give each local port once, e.g. spark forward NAME 3000 3001:3000');
    seen.add(f.local);
  }
  return forwards;
}

/** `spark forward`: the process that holds the forwards, for a running spark whose local ports are free. */
export async function forwardTo(backend: Backend, name: string, forwards: PortForward[], portFree: (port: number) => Promise<boolean>, connect: ConnectOptions = { wake: true, timeoutMs: 5 * 60_000 }): Promise<ShellInvocation> {
  const forward = requireCapability(backend.runtime, 'forward');
  for (const f of forwards) {
    if (!(await portFree(f.local))) {
      throw new SparkError(`Local port ${f.local} is already in use on this machine.`, {
        hint: `Choose a free local port for it, e.g. spark forward ${name} ${f.local + 1}:${f.remote}   (see what holds it: ss -ltnp 'sport = :${f.local}')`,
        code: 'PORT_IN_USE',
      });
    }
  }
  // A sleeper is woken (after the ports are known to be free: a busy port wakes nothing).
  await readyToConnect(backend, name, connect);
  return forward.forward(name, forwards);
}
