import { spawn } from 'node:child_process';
import { SparkError } from '../errors.js';
import type { ShellInvocation } from '../core/ports.js';
import { stderr } from './terminal.js';

/** Run a program attached to this terminal and return its exit code (ssh, or a local shell). */
export function runAttached(invocation: ShellInvocation): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(invocation.program, invocation.args, {
      stdio: 'inherit',
      cwd: invocation.cwd,
      env: { ...process.env, ...invocation.env },
    });
    // Ctrl-C belongs to the child (the remote shell); spark just waits for it to end.
    const ignore = (): void => {};
    process.on('SIGINT', ignore);
    child.on('error', (error: NodeJS.ErrnoException) => {
      process.off('SIGINT', ignore);
      // The user's own command (a local spark): answer as a shell would, 127 or 126.
      if (!invocation.installHint && (error.code === 'ENOENT' || error.code === 'EACCES')) {
        stderr.write(`${invocation.program}: ${error.code === 'ENOENT' ? 'command not found' : 'permission denied'}\n`);
        resolve(error.code === 'ENOENT' ? 127 : 126);
        return;
      }
      reject(
        new SparkError(`Cannot run ${invocation.program}: ${error.code === 'ENOENT' ? 'not found' : error.message}.`, {
          hint: error.code === 'ENOENT' ? invocation.installHint : undefined,
          code: 'SHELL_FAILED',
        }),
      );
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}
