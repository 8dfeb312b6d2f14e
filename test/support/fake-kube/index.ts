/**
 * A fake Kubernetes API server for tests: real HTTP on loopback, the REST protocol kubectl and
 * @kubernetes/client-node speak, and a small controller so Deployments get Pods that become Ready.
 * Test support only — never part of the bundle.
 *
 *   const cluster = await startFakeCluster();
 *   const kubeconfig = cluster.writeKubeconfig(join(dir, 'kubeconfig'));
 *   ... run spark or kubectl with KUBECONFIG=kubeconfig ...
 *   cluster.counters.get('list deployments'); cluster.controls.failPods('brave-dolphin', 'ImagePullBackOff');
 *   await cluster.stop();
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { ObjectApi } from './api.js';
import { Controller, type ControllerSettings, type PodFailure, type PvcBinding } from './controller.js';
import { isObject } from './patch.js';
import { resourceByPlural, resourceForKind, type ResourceDef } from './resources.js';
import { addFault, Counters, handle, type AccessRule, type FaultHandle, type FaultRule, type LoggedRequest, type ServerState } from './server.js';
import { Store, type KubeObject } from './store.js';

export type { PodFailure, PvcBinding } from './controller.js';
export { TAILSCALE_FINALIZER } from './controller.js';
export type { AccessRule, FaultHandle, FaultRule, LoggedRequest, RequestVerb } from './server.js';
export type { Counters } from './server.js';
export type { KubeObject } from './store.js';
export { goSparkObjects, goSparkYaml } from './fixtures.js';

export interface FakeClusterOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Time for a pod to become Running/Ready and for a tailnet hostname to appear (default 0: at once). */
  readyDelayMs?: number;
  /** Create the `spark` namespace (default true). */
  sparkNamespace?: boolean;
  /** Require `Authorization: Bearer <token>` (default: any request is accepted). */
  token?: string;
  /** The user named in 403 messages. */
  userName?: string;
  /** Interval of BOOKMARK events on watches that allow them (default 10 s). */
  bookmarkIntervalMs?: number;
  pvcBinding?: PvcBinding;
  tailscaleHostnames?: boolean;
  tailscaleFinalizer?: { enabled: boolean; removeAfterMs: number | null };
  crashIntervalMs?: number;
  tailnet?: string;
  /** Serve HTTPS with this key and certificate (PEM); kubeconfigs then carry the certificate as CA. */
  tls?: { key: string; cert: string };
}

export interface KubeconfigOptions {
  context?: string;
  namespace?: string;
  token?: string;
}

export interface FakeClusterControls {
  setReadyDelay(ms: number): void;
  /** Make the pods of a deployment (or a bare pod) fail this way; null heals them. */
  failPods(deployment: string, failure: PodFailure | null): void;
  /** What the volume provisioner does with claims not yet bound. */
  setPvcBinding(mode: PvcBinding): void;
  setTailscaleHostnames(on: boolean): void;
  /** The Tailscale operator's finalizer on its Services; removeAfterMs null = never removed (stuck). */
  setTailscaleFinalizer(setting: { enabled?: boolean; removeAfterMs?: number | null }): void;
  /** Fail the next matching requests (see FaultRule). */
  fail(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  /** Deny a verb on a resource (SelfSubjectAccessReview and, unless enforce is false, 403 answers); returns the undo. */
  deny(rule: AccessRule): () => void;
  clearDenials(): void;
  /** Append lines to the container log of a deployment's pods (served as pods/log, followed live). */
  podLog(deployment: string, ...lines: string[]): void;
}

export interface FakeCluster {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Requests per `<verb> <resource>` (`list deployments`, `patch deployments/scale`; `GET /api` for discovery). */
  readonly counters: Counters;
  readonly controls: FakeClusterControls;
  /** Every request, in order (the last 5000). */
  readonly requests: LoggedRequest[];
  /** Write a kubeconfig for this server (context `fake`, namespace `spark`, a dummy token); returns the path. */
  writeKubeconfig(path: string, options?: KubeconfigOptions): string;
  /** Store objects directly (created as the API would create them: defaults, uid, resourceVersion); namespaces are created as needed. */
  seed(objects: unknown[]): KubeObject[];
  /** Read stored objects directly, by plural resource (`deployments`) or Kind (`Deployment`). */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  /** Resolves once the controller has nothing left to reconcile (delayed readiness may still be pending). */
  idle(): Promise<void>;
  /** Wait until `predicate` holds, re-checked on every change and request; rejects after `timeoutMs` (default 10 s) naming `description`. */
  waitFor<T>(predicate: () => T | undefined | false, options?: { timeoutMs?: number; description?: string }): Promise<T>;
  /** Resolves when a request with this counter key (`watch pods`) arrives after the call; rejects after `timeoutMs` (default 10 s). */
  nextRequest(key: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Close every connection and watch, stop the controller. */
  stop(): Promise<void>;
}

function resolveDef(resource: string): ResourceDef {
  const def = resourceByPlural(resource) ?? resourceForKind(resource);
  if (!def) throw new Error(`fake-kube: unknown resource ${resource}`);
  return def;
}

export async function startFakeCluster(options: FakeClusterOptions = {}): Promise<FakeCluster> {
  const store = new Store();
  const api = new ObjectApi(store);
  const settings: ControllerSettings = {
    readyDelayMs: options.readyDelayMs ?? 0,
    pvcBinding: options.pvcBinding ?? 'Bound',
    tailscaleHostnames: options.tailscaleHostnames ?? true,
    tailnet: options.tailnet ?? 'tail1234.ts.net',
    tailscaleFinalizer: options.tailscaleFinalizer ?? { enabled: false, removeAfterMs: 0 },
    crashIntervalMs: options.crashIntervalMs ?? 500,
    podFailures: new Map(),
  };
  const controller = new Controller(api, store, settings);
  const namespaces = resolveDef('namespaces');
  for (const ns of ['default', 'kube-system', ...(options.sparkNamespace === false ? [] : ['spark'])]) {
    api.create(namespaces, undefined, { metadata: { name: ns } });
  }

  let port = 0;
  const state: ServerState = {
    api,
    store,
    counters: new Counters(),
    faults: [],
    access: [],
    log: [],
    token: options.token,
    userName: options.userName ?? 'fake-user',
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000,
    streams: new Set<ServerResponse>(),
    requestListeners: new Set(),
    podLogs: new Map(),
    address: () => `127.0.0.1:${port}`,
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(state, req, res);
  };
  const server = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  const controls: FakeClusterControls = {
    setReadyDelay: (ms) => {
      settings.readyDelayMs = ms;
      controller.resync();
    },
    failPods: (deployment, failure) => {
      if (failure) settings.podFailures.set(deployment, failure);
      else settings.podFailures.delete(deployment);
      controller.resync();
    },
    setPvcBinding: (mode) => {
      settings.pvcBinding = mode;
      controller.resync();
    },
    setTailscaleHostnames: (on) => {
      settings.tailscaleHostnames = on;
      controller.resync();
    },
    setTailscaleFinalizer: (s) => {
      settings.tailscaleFinalizer = { ...settings.tailscaleFinalizer, ...s };
      controller.resync();
    },
    fail: (rule) => addFault(state, rule),
    clearFaults: () => {
      state.faults.length = 0;
    },
    deny: (rule) => {
      state.access.push(rule);
      return () => {
        const i = state.access.indexOf(rule);
        if (i >= 0) state.access.splice(i, 1);
      };
    },
    clearDenials: () => {
      state.access.length = 0;
    },
    podLog: (deployment, ...lines) => {
      const entry = state.podLogs.get(deployment) ?? { lines: [], followers: new Set() };
      state.podLogs.set(deployment, entry);
      for (const line of lines) {
        entry.lines.push(line);
        for (const follower of entry.followers) follower(line);
      }
    },
  };

  return {
    url,
    port,
    counters: state.counters,
    controls,
    requests: state.log,
    writeKubeconfig(path, k = {}) {
      const context = k.context ?? 'fake';
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: context,
            // @kubernetes/client-node refuses plain http:// unless TLS verification is (nominally) skipped.
            cluster: options.tls ? { server: url, 'certificate-authority-data': Buffer.from(options.tls.cert).toString('base64') } : { server: url, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: `${context}-user`, user: { token: k.token ?? options.token ?? 'fake-token' } }],
        contexts: [{ name: context, context: { cluster: context, user: `${context}-user`, namespace: k.namespace ?? 'spark' } }],
        'current-context': context,
        preferences: {},
      };
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, stringify(config), { mode: 0o600 });
      return path;
    },
    seed(objects) {
      return objects.map((o) => {
        if (!isObject(o) || typeof o.kind !== 'string') throw new Error('fake-kube seed: every object needs a kind');
        return api.seed(resolveDef(o.kind), o);
      });
    },
    get: (resource, namespace, name) => store.get(resolveDef(resource), namespace, name),
    list: (resource, namespace) => store.list(resolveDef(resource), namespace),
    idle: () => controller.idle(),
    waitFor<T>(predicate: () => T | undefined | false, w: { timeoutMs?: number; description?: string } = {}): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const stops: (() => void)[] = [];
        let done = false;
        const finish = (): void => {
          done = true;
          clearTimeout(timer);
          for (const s of stops.splice(0)) s();
        };
        const check = (): boolean => {
          if (done) return true;
          const v = predicate();
          if (v === undefined || v === false) return false;
          finish();
          resolve(v);
          return true;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`fake-kube: timed out after ${w.timeoutMs ?? 10_000} ms waiting for ${w.description ?? 'a condition'}`));
        }, w.timeoutMs ?? 10_000);
        if (check()) return;
        // Re-check after every change and every request (so counters can be waited on too).
        stops.push(store.onChange(() => void check()));
        const onRequest = (): void => {
          // The request is counted before it is handled: look once it has been.
          setImmediate(check);
        };
        state.requestListeners.add(onRequest);
        stops.push(() => state.requestListeners.delete(onRequest));
      });
    },
    nextRequest(key, w = {}) {
      return new Promise<void>((resolve, reject) => {
        const listener = (k: string): void => {
          if (k !== key) return;
          clearTimeout(timer);
          state.requestListeners.delete(listener);
          resolve();
        };
        const timer = setTimeout(() => {
          state.requestListeners.delete(listener);
          reject(new Error(`fake-kube: no "${key}" request within ${w.timeoutMs ?? 10_000} ms`));
        }, w.timeoutMs ?? 10_000);
        state.requestListeners.add(listener);
      });
    },
    async stop() {
      controller.stop();
      for (const res of state.streams) res.destroy();
      state.streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
