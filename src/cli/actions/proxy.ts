/**
 * `spark proxy HOST [PORT]`: what ssh runs as its ProxyCommand (spark ssh-config). stdout and stdin
 * belong to ssh's binary protocol: progress and errors go to stderr only, and the relayed bytes
 * pass untouched (see relay).
 */
import { connect, type Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import { parsePort, proxyTarget, sparkNameFromHost } from '../../core/proxy.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { SparkError } from '../../errors.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { connecting } from './sleep.js';

/** A running spark's SSH should answer at once; this long is allowed for a tailnet hiccup. */
const RUNNING_CONNECT_MS = 30_000;
/** One attempt's deadline (a silent network drops packets rather than refusing). */
const ATTEMPT_MS = 5_000;

export async function proxyCommand(ctx: Context, host: string, portText: string, options: { timeoutMs: number }): Promise<void> {
  const started = Date.now();
  const name = sparkNameFromHost(host);
  validateName(name);
  const port = parsePort(portText);
  const config = await ctx.config();
  validateName(name, reservedNames(config));
  const backend = await openBackend(await locateSpark(name, config), config);
  let target: { address: string; woke: boolean };
  try {
    target = await connecting(ctx.ui, name, (p) => proxyTarget(backend, name, { wake: true, ...p }), options.timeoutMs);
  } finally {
    await backend.close();
  }
  // sshd starts with the container but may not listen yet when the pod turns ready: retry until the deadline.
  const deadline = target.woke ? started + options.timeoutMs : Date.now() + Math.min(RUNNING_CONNECT_MS, options.timeoutMs);
  const socket = await connectUntil(target.address, port, deadline, name);
  await relay(socket);
}

function attempt(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(ATTEMPT_MS, () => socket.destroy(Object.assign(new Error(`no answer within ${ATTEMPT_MS / 1000}s`), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function connectUntil(host: string, port: number, deadline: number, name: string): Promise<Socket> {
  let delay = 100;
  for (;;) {
    try {
      return await attempt(host, port);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (Date.now() + delay >= deadline) {
        throw new SparkError(`Cannot reach the SSH of spark "${name}" at ${host}:${port}: ${e.code ?? e.message}.`, {
          hint: [`Check:`, '- this machine is on the tailnet: tailscale status', `- the spark runs and has a tailnet address: spark status ${name}`, `- its log: spark logs ${name}`].join('\n'),
          code: 'PROXY_FAILED',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}

/**
 * stdin → socket and socket → stdout until the spark's side closes (or stdin ends and then the
 * spark's side). The bytes are ssh's encrypted protocol, not text: they go to process.stdout as they
 * are, never through a redacting writer (which would re-encode them). process.stdout, not a stream
 * of our own on fd 1: for a pipe it writes synchronously and waits when the pipe is full, where an
 * fs stream on the non-blocking fd fails with EAGAIN under load and would cut the connection.
 */
async function relay(socket: Socket): Promise<void> {
  const out = process.stdout;
  process.stdin.pipe(socket);
  socket.pipe(out);
  // ssh has gone (its end of the pipe closed): nothing more to relay.
  process.stdin.on('error', () => socket.destroy());
  out.on('error', () => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.on('close', () => resolve());
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve() : reject(new SparkError(`The SSH connection broke: ${error.message}.`, { code: 'PROXY_FAILED' }))));
  });
  if (!out.writableEnded) out.end();
  await finished(out).catch(() => {});
}
