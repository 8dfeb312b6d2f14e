/**
 * The cluster adapter: the Runtime port (src/core/ports.ts) on a Kubernetes cluster. Create lives
 * here; reading (read.ts), deleting (remove.ts) and doctor's checks (checks.ts) have their own
 * files. The objects themselves come from manifests.ts (pure).
 */
import type { CheckResult, DeleteReport, InFlight, OnProgress, Runtime, RuntimeCapabilities, RuntimeSpark, RuntimeStatus, ShellInvocation, SparkSpec, WaitOptions } from '../../core/ports.js';
import { parseMark, stillInFlight } from '../../core/inflight.js';
import { SparkError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { openKubeClient, type ClusterSettings, type k8s, type KubeClient, type RequestOptions } from './client.js';
import { clusterChecks } from './checks.js';
import { cloneDecision } from './clone.js';
import { kubernetesExpiry } from './expiry.js';
import { ANNOTATION_CREATING, FIELD_MANAGER, configMapName, pvcName, tailnetHostname } from './labels.js';
import { manifestOptionsFromConfig, sparkManifests, withOwner, type ConfigReader, type ManifestOptions, type SparkObject } from './manifests.js';
import { KINDS, kindOps, objPath, op, type KindName, type Meta } from './objects.js';
import { observeCapabilities } from './observe.js';
import { collect, listSparks, sparkExists, sparkStatus, summarize } from './read.js';
import { waitForPod } from './readiness.js';
import { deleteSpark, waitGone } from './remove.js';
import { withSleep } from './sleep.js';
import { withSshAddress } from './ssh-address.js';

export interface KubernetesRuntimeOptions {
  manifests: ManifestOptions;
  /** SPARK_SSH: the SSH program, possibly with leading arguments (e.g. "tailscale ssh"). */
  ssh?: string;
  /** How long delete waits for objects to be gone (finalizers) before reporting them. Default 60 s. */
  deleteWaitMs?: number;
}

export class KubernetesRuntime implements Runtime {
  readonly kind = 'kubernetes' as const;
  readonly capabilities: RuntimeCapabilities = {
    ...withSshAddress(withSleep(observeCapabilities(() => ({ client: this.client, ssh: this.options.ssh })), () => this.client), () => this.client),
    expiry: kubernetesExpiry(() => this.client),
  };
  private readonly deleteWaitMs: number;

  constructor(
    readonly client: KubeClient,
    private readonly options: KubernetesRuntimeOptions,
  ) {
    this.deleteWaitMs = options.deleteWaitMs ?? 60_000;
  }

  private get namespace(): string {
    return this.client.namespace;
  }

  private manifests(spec: SparkSpec) {
    return sparkManifests(spec, { ...this.options.manifests, namespace: this.namespace });
  }

  // -- create ---------------------------------------------------------------------------------

  async claim(spec: SparkSpec): Promise<void> {
    const { configMap } = this.manifests(spec);
    const cm = KINDS.ConfigMap;
    try {
      await this.client.send(op(cm, 'create', configMap.metadata?.name), 'POST', objPath(this.client, cm), configMap, {}, { fieldManager: FIELD_MANAGER });
    } catch (error) {
      if (error instanceof SparkError && error.code === 'KUBE_ALREADY_EXISTS') {
        throw new SparkError(`A spark named "${spec.name}" already exists in namespace ${this.namespace}.`, {
          hint: `Choose another name, or remove the old one first: spark delete ${spec.name}`,
          code: 'NAME_TAKEN',
          cause: error,
        });
      }
      throw error;
    }
  }

  async create(spec: SparkSpec, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<void> {
    const progress = options.onProgress ?? (() => {});
    const request: RequestOptions = { signal: options.signal };
    const m = this.manifests(spec.from ? await this.cloneable(spec, request, progress) : spec);
    // The root first: its uid is what the others' ownerReferences point at.
    const root = await this.apply(m.configMap, request, progress);
    const uid = root.metadata?.uid;
    if (!uid) throw new SparkError(`The API server returned ConfigMap ${configMapName(spec.name)} without a uid.`, { code: 'KUBE_API_ERROR' });
    // The Deployment last: its pod would otherwise meet a missing Secret or claim and report a
    // CreateContainerConfigError that readiness rightly treats as fatal.
    await Promise.all([m.secret, m.pvc, m.service].map((obj) => this.apply(withOwner(obj, uid), request, progress)));
    await this.apply(withOwner(m.deployment, uid), request, progress);
  }

  /** A fork's spec, without its source when the home volume cannot be a clone (then a fresh home, said in the progress). */
  private async cloneable(spec: SparkSpec, request: RequestOptions, progress: OnProgress): Promise<SparkSpec> {
    const c = this.client;
    const k = KINDS.PersistentVolumeClaim;
    const source = await kindOps.read<k8s.V1PersistentVolumeClaim>(c, k, k.nameFor(spec.from!), request);
    const decision = cloneDecision(source, this.options.manifests.storageClass);
    if (decision.clone) {
      progress({ step: 'Home volume', detail: `a clone of ${pvcName(spec.from!)}` });
      return spec;
    }
    progress({ step: 'Home volume', detail: `fresh, not a copy of ${spec.from}'s: ${decision.why}` });
    return { ...spec, from: undefined };
  }

  /** Server-side apply (field manager `spark`, force): creates or converges one object. */
  private async apply(obj: SparkObject, request: RequestOptions, progress: OnProgress): Promise<Meta> {
    const kind = KINDS[obj.kind as KindName];
    const name = obj.metadata?.name ?? '';
    if (request.signal?.aborted) throw new SparkError('Interrupted.', { code: 'INTERRUPTED' });
    progress({ step: 'Creating the cluster objects', detail: `${kind.kind} ${name}` });
    return kindOps.apply(this.client, kind, name, obj, request);
  }

  async creating(name: string): Promise<InFlight | undefined> {
    const c = this.client;
    const cm = KINDS.ConfigMap;
    const root = await kindOps.read(c, cm, cm.nameFor(name));
    const mark = parseMark(root?.metadata?.annotations?.[ANNOTATION_CREATING]);
    return stillInFlight(mark) ? mark : undefined;
  }

  async markCreated(name: string): Promise<void> {
    const c = this.client;
    const cm = KINDS.ConfigMap;
    const body = { metadata: { annotations: { [ANNOTATION_CREATING]: null } } };
    await c.send(op(cm, 'patch', cm.nameFor(name)), 'PATCH', objPath(c, cm, cm.nameFor(name)), body, { contentType: 'application/merge-patch+json' });
  }

  /** Watches the root ConfigMap; a watch that fails just waits for the signal (it proves nothing gone). */
  async claimGone(name: string, signal: AbortSignal): Promise<void> {
    const still = await waitGone(this.client, KINDS.ConfigMap, configMapName(name), signal);
    if (still && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }

  /** The database named by the spark's Secret's DATABASE_URL (how Go-CLI sparks, whose databases carry no tag, name theirs). */
  async databaseOf(name: string): Promise<string | undefined> {
    const c = this.client;
    const k = KINDS.Secret;
    const secret = await kindOps.read<k8s.V1Secret>(c, k, k.nameFor(name));
    const encoded = secret?.data?.DATABASE_URL;
    if (!encoded) return undefined;
    const url = Buffer.from(encoded, 'base64').toString('utf8');
    try {
      const parsed = new URL(url);
      registerSecret(decodeURIComponent(parsed.password));
      return decodeURIComponent(parsed.pathname.slice(1)) || undefined;
    } catch {
      return undefined;
    }
  }

  async waitReady(name: string, options: WaitOptions): Promise<RuntimeSpark> {
    await waitForPod(this.client, name, options);
    return summarize(await collect(this.client, name, { signal: options.signal }), this.namespace);
  }

  // -- read, delete, checks (their own files) -----------------------------------------------

  /** One LIST per kind for every spark, whatever their number. */
  list(): Promise<RuntimeSpark[]> {
    return listSparks(this.client);
  }

  exists(name: string): Promise<boolean> {
    return sparkExists(this.client, name);
  }

  status(name: string): Promise<RuntimeStatus | undefined> {
    return sparkStatus(this.client, name);
  }

  delete(name: string): Promise<DeleteReport> {
    return deleteSpark(this.client, name, this.deleteWaitMs);
  }

  checks(): Promise<CheckResult[]> {
    return clusterChecks(this.client);
  }


  // -- shell ----------------------------------------------------------------------------------

  /** ssh through the user's own SSH (their ssh config applies): `ssh [-t] -- user@spark-<name> [command…]`. */
  async shell(name: string, command: string[], options: { tty?: boolean } = {}): Promise<ShellInvocation> {
    const [program = 'ssh', ...leading] = (this.options.ssh || 'ssh').trim().split(/\s+/);
    const host = `user@${tailnetHostname(name)}`;
    // `--` ends ssh's options, so a command like `ls -la` is the remote command, not ssh flags.
    // A command gets a terminal only when there is one to give it (as `ssh host cmd` vs `ssh -t`).
    const args = command.length ? [...leading, ...(options.tty ? ['-t'] : []), '--', host, ...remoteWords(command)] : [...leading, '-t', '--', host];
    const connectionHint = [
      `${[program, ...leading].join(' ')} could not reach ${host}. Check:`,
      '- this machine is on the tailnet: tailscale status',
      `- the spark has a tailnet address: spark status ${name} (without MagicDNS, ssh to the full host name it shows)`,
      `- the key at SSH_PUBLIC_KEY_PATH is the one the spark was created with`,
    ].join('\n');
    return { program, args, connectionHint, installHint: 'Install it (e.g. apt-get install openssh-client), or point SPARK_SSH at your SSH program.' };
  }

}

/** Open the runtime for this configuration: kubeconfig the kubectl way, the namespace, the object options. */
export function openKubernetesRuntime(config: ConfigReader, options: { env?: NodeJS.ProcessEnv; deleteWaitMs?: number } = {}): KubernetesRuntime {
  const settings: ClusterSettings = { KUBECONFIG: config.get('KUBECONFIG'), SPARK_CONTEXT: config.get('SPARK_CONTEXT'), SPARK_NAMESPACE: config.get('SPARK_NAMESPACE') };
  const client = openKubeClient(settings, { env: options.env });
  return new KubernetesRuntime(client, { manifests: manifestOptionsFromConfig(config), ssh: config.get('SPARK_SSH'), deleteWaitMs: options.deleteWaitMs });
}

/**
 * ssh joins its arguments with spaces for the remote shell to parse again, so each word is quoted
 * for it: the spark runs exactly the argv given, as the local runtime does. One word holding
 * spaces is a command line (`spark shell x -- 'psql "$DATABASE_URL" -c "select 1"'`), on both runtimes.
 */
function remoteWords(command: string[]): string[] {
  if (command.length === 1 && /\s/.test(command[0]!)) return command;
  return command.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`));
}
