import { spawn, type SpawnOptions } from 'node:child_process';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program to its end, collecting stdout and stderr; `input` (default empty) goes to stdin. */
export function capture(program: string, args: string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<Captured> {
  const { input = '', timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin!.on('error', () => {}); // a program may exit without reading its input
    child.stdin!.end(input);
  });
}
