/**
 * Helpers for tests of (and against) the fake: plain HTTP requests, a watch-stream reader that waits
 * on events with deadlines, and running the real kubectl with an isolated cache and home.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // Tests read arbitrary JSON shapes; assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One HTTP request to the fake; a JSON body is serialised unless it is a string already. */
export function http(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpRequest(
      new URL(path, baseUrl),
      {
        method,
        headers: {
          Accept: 'application/json',
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

/** An open watch stream: every event is kept; `next` waits for one that matches. */
export class WatchReader {
  readonly events: WatchEvent[] = [];
  status = 0;
  contentType = '';
  ended = false;
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private readonly req: ReturnType<typeof httpRequest>;

  constructor(baseUrl: string, path: string, headers: Record<string, string> = {}) {
    this.req = httpRequest(new URL(path, baseUrl), { headers: { Accept: 'application/json', ...headers } }, (res) => {
      this.status = res.statusCode ?? 0;
      this.contentType = String(res.headers['content-type'] ?? '');
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) this.events.push(JSON.parse(line) as WatchEvent);
        }
        this.wake();
      });
      res.on('end', () => {
        if (buffer.trim()) {
          try {
            this.events.push(JSON.parse(buffer) as WatchEvent);
          } catch {
            // a non-event body (an error Status answered before streaming)
            this.events.push({ type: 'BODY', object: JSON.parse(buffer) as unknown });
          }
        }
        this.ended = true;
        this.wake();
      });
    });
    this.req.on('error', () => {
      this.ended = true;
      this.wake();
    });
    this.req.end();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next event (after those already returned) that satisfies `predicate`, within `timeoutMs`. */
  async next(predicate: (e: WatchEvent) => boolean = () => true, timeoutMs = 5000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.events.length) {
        const e = this.events[this.cursor++] as WatchEvent;
        if (predicate(e)) return e;
      }
      if (this.ended) throw new Error(`watch ended without the expected event; got ${JSON.stringify(this.events.map((e) => `${e.type} ${String(e.object?.metadata?.name ?? '')}`))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching watch event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => `${e.type} ${String(e.object?.metadata?.name ?? '')}`))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the server ends the stream (rejects after `timeoutMs`). */
  async end(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`watch still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh HOME and KUBECACHEDIR, so kubectl's discovery cache never leaks between tests. */
export function kubectlEnv(kubeconfig: string): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'fake-kube-kubectl-'));
  return { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(home, 'cache') };
}

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

/** Run the real kubectl; killed after `timeoutMs` (default 30 s) or when `signal` aborts (code -1 then). */
export function kubectl(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number; onStdout?: (text: string) => void; signal?: AbortSignal } = {},
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { env, stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
