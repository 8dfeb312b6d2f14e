import { spawn } from 'node:child_process';
import { portFree } from '../../net.js';
import { forwardTo, parsePortForwards } from '../../core/observe.js';
import type { ShellInvocation } from '../../core/ports.js';
import { locateSpark, openBackend, reservedNames } from '../../backends.js';
import { SparkError, interrupted } from '../../errors.js';
import { validateName } from '../../names/index.js';
import type { Context } from '../context.js';
import { connecting } from './sleep.js';

/** `spark forward NAME PORT[:REMOTE]...`: the URLs on stdout, then ssh holds the forwards until Ctrl-C. */
export async function forwardCommand(ctx: Context, name: string, specs: string[]): Promise<void> {
  validateName(name);
  const forwards = parsePortForwards(specs);
  const config = await ctx.config();
  validateName(name, reservedNames(config));
  const backend = await openBackend(await locateSpark(name, config), config);
  let invocation: ShellInvocation;
  try {
    invocation = await connecting(ctx.ui, name, (p) => forwardTo(backend, name, forwards, portFree, { wake: true, ...p })); // ssh binds the ports a moment later
  } finally {
    await backend.close();
  }
  const listed = forwards.map((f) => ({ local: f.local, remote: f.remote, url: `http://localhost:${f.local}` }));
  ctx.ui.result({ name, forwards: listed }, () => listed.map((f) => `${f.url} → ${name}:${f.remote}`).join('\n'));
  ctx.ui.info('Forwarding; press Ctrl-C to stop.');
  await hold(invocation, name);
}

/** Run ssh until it ends; Ctrl-C (or SIGTERM) ends it and is the normal way out: exit 130, no error. */
function hold(invocation: ShellInvocation, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(invocation.program, invocation.args, { stdio: ['inherit', 'ignore', 'inherit'], env: { ...process.env, ...invocation.env } });
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      child.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const done = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(new SparkError(`Cannot run ${invocation.program}: ${error.code === 'ENOENT' ? 'not found' : error.message}.`, { hint: error.code === 'ENOENT' ? invocation.installHint : undefined, code: 'SHELL_FAILED' }));
    });
    child.on('exit', (code, signal) => {
      done();
      if (stopped) return reject(interrupted(`Stopped forwarding to ${name}.`));
      reject(new SparkError(`The forwarding to ${name} ended (${invocation.program} ${signal ? `was killed by ${signal}` : `exited with ${code}`}).`, { hint: invocation.connectionHint, code: 'FORWARD_FAILED' }));
    });
  });
}
