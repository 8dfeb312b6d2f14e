/**
 * Pure: SparkSpec + options → the five Kubernetes objects of one spark (PRODUCT.md's names table).
 * No I/O, no clock, no randomness: everything comes in through the arguments, so the same input
 * always yields the same objects (which is what makes server-side apply idempotent).
 *
 * Only type imports from @kubernetes/client-node: this module stays off the bundle's start path.
 */
import type {
  V1ConfigMap,
  V1Deployment,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import type { SparkSpec } from '../../core/ports.js';
import { secretEnvOf } from '../../core/spark-env.js';
import { INIT_SCRIPT } from './init-script.js';
import {
  ANNOTATION_CREATED_AT,
  ANNOTATION_CREATING,
  ANNOTATION_CREATOR,
  ANNOTATION_DATABASE,
  ANNOTATION_EXPIRES_AT,
  ANNOTATION_ISOLATION,
  ANNOTATION_REPO,
  CONTAINER_NAME,
  LABEL_SPARK_NAME,
  TAILSCALE_HOSTNAME_ANNOTATION,
  TAILSCALE_LOAD_BALANCER_CLASS,
  TAILSCALE_PROXY_CLASS_ANNOTATION,
  TAILSCALE_TAGS_ANNOTATION,
  configMapName,
  deploymentName,
  pvcName,
  secretName,
  selectorLabels,
  serviceName,
  sparkLabels,
  tailnetHostname,
} from './labels.js';

/** Where the ConfigMap is mounted (read-only) in the container; the init script reads it from here. */
export const CONFIG_MOUNT_PATH = '/etc/spark';
/** The home volume's mount point. */
export const HOME_MOUNT_PATH = '/home/user';
/** Where an optional shared tools volume (deploy/tools-pvc.yaml) is mounted, read-only. */
export const TOOLS_MOUNT_PATH = '/opt/spark-tools';
export const SSH_PORT = 22;
/**
 * The readiness probe's command: ready means sshd answers with its banner (a bare TCP accept is
 * not "you can log in"). bash only, so it runs on every Debian-based image.
 */
export const SSH_BANNER_PROBE = `exec 3<>/dev/tcp/127.0.0.1/${SSH_PORT} && read -r -t 2 banner <&3 && [[ $banner == SSH-2.0-* ]]`;

/** ConfigMap keys (files under CONFIG_MOUNT_PATH). */
export const CONFIGMAP_KEYS = {
  authorizedKeys: 'authorized_keys',
  gitRepo: 'GIT_REPO',
  dotfilesRepo: 'DOTFILES_REPO',
  initScript: 'init.sh',
} as const;

/** Secret keys, exposed to the container through envFrom. */
export const SECRET_ENV_KEYS = ['DATABASE_URL', 'ANTHROPIC_API_KEY', 'GITHUB_TOKEN'] as const;
export type SecretEnvKey = (typeof SECRET_ENV_KEYS)[number];

export interface ManifestResources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

/** Everything about the objects that is not the spark itself: from configuration. */
export interface ManifestOptions {
  namespace: string;
  image: string;
  storageSize: string;
  /** Unset: the cluster's default storage class. */
  storageClass?: string;
  resources: ManifestResources;
  /** Value of `tailscale.com/tags`, e.g. "tag:spark" (comma-separated). */
  tailscaleTags?: string;
  /** Value of `tailscale.com/proxy-class`. */
  tailscaleProxyClass?: string;
  /** Name of a shared tools PVC (deploy/tools-pvc.yaml) to mount read-only at TOOLS_MOUNT_PATH. */
  toolsClaim?: string;
}

export const DEFAULT_MANIFEST_OPTIONS: ManifestOptions = {
  namespace: 'spark',
  image: 'debian:bookworm',
  storageSize: '10Gi',
  resources: { cpuRequest: '250m', cpuLimit: '2', memoryRequest: '512Mi', memoryLimit: '4Gi' },
};

/** The subset of Config the Kubernetes runtime reads (a Config satisfies it; tests pass a Map-like object). */
export interface ConfigReader {
  get(key: string): string | undefined;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

export function manifestOptionsFromConfig(config: ConfigReader): ManifestOptions {
  const d = DEFAULT_MANIFEST_OPTIONS;
  const options: ManifestOptions = {
    namespace: nonEmpty(config.get('SPARK_NAMESPACE')) ?? d.namespace,
    image: nonEmpty(config.get('SPARK_IMAGE')) ?? d.image,
    storageSize: nonEmpty(config.get('SPARK_STORAGE_SIZE')) ?? d.storageSize,
    resources: {
      cpuRequest: nonEmpty(config.get('SPARK_CPU_REQUEST')) ?? d.resources.cpuRequest,
      cpuLimit: nonEmpty(config.get('SPARK_CPU_LIMIT')) ?? d.resources.cpuLimit,
      memoryRequest: nonEmpty(config.get('SPARK_MEMORY_REQUEST')) ?? d.resources.memoryRequest,
      memoryLimit: nonEmpty(config.get('SPARK_MEMORY_LIMIT')) ?? d.resources.memoryLimit,
    },
  };
  const storageClass = nonEmpty(config.get('SPARK_STORAGE_CLASS'));
  if (storageClass) options.storageClass = storageClass;
  const tags = nonEmpty(config.get('SPARK_TAILSCALE_TAGS'));
  if (tags) options.tailscaleTags = tags;
  const proxyClass = nonEmpty(config.get('SPARK_TAILSCALE_PROXY_CLASS'));
  if (proxyClass) options.tailscaleProxyClass = proxyClass;
  const tools = nonEmpty(config.get('SPARK_TOOLS_PVC'));
  if (tools) options.toolsClaim = tools;
  return options;
}

export interface SparkManifests {
  configMap: V1ConfigMap;
  secret: V1Secret;
  pvc: V1PersistentVolumeClaim;
  service: V1Service;
  deployment: V1Deployment;
}

export type SparkObject = V1ConfigMap | V1Secret | V1PersistentVolumeClaim | V1Service | V1Deployment;

/** The annotations spark records on every object of a spark. */
export function sparkAnnotations(spec: SparkSpec): Record<string, string> {
  const annotations: Record<string, string> = {
    [ANNOTATION_CREATED_AT]: spec.createdAt,
    [ANNOTATION_CREATOR]: spec.creator,
    [ANNOTATION_DATABASE]: spec.databaseName,
    [ANNOTATION_ISOLATION]: spec.isolation,
  };
  if (spec.repo) annotations[ANNOTATION_REPO] = spec.repo;
  return annotations;
}

export function sparkManifests(spec: SparkSpec, options: ManifestOptions): SparkManifests {
  const name = spec.name;
  const namespace = options.namespace;
  const metadata = (objectName: string, extraAnnotations: Record<string, string> = {}) => ({
    name: objectName,
    namespace,
    labels: sparkLabels(name),
    annotations: { ...sparkAnnotations(spec), ...extraAnnotations },
  });

  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(configMapName(name), spec.inFlight ? { [ANNOTATION_CREATING]: JSON.stringify(spec.inFlight) } : {}),
    data: {
      // A trailing newline, so sshd and shells read the last line.
      [CONFIGMAP_KEYS.authorizedKeys]: spec.sshPublicKey ? `${spec.sshPublicKey.trim()}\n` : '',
      [CONFIGMAP_KEYS.gitRepo]: spec.repo ?? '',
      [CONFIGMAP_KEYS.dotfilesRepo]: spec.dotfilesRepo ?? '',
      [CONFIGMAP_KEYS.initScript]: INIT_SCRIPT,
    },
  };

  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(secretName(name)),
    type: 'Opaque',
    // Only the values that are set.
    stringData: secretEnvOf(spec) satisfies Partial<Record<SecretEnvKey, string>>,
  };

  const pvc: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metadata(pvcName(name)),
    spec: {
      // One pod at a time mounts the home volume: hence the Deployment's Recreate strategy.
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: options.storageSize } },
      ...(options.storageClass ? { storageClassName: options.storageClass } : {}),
      // A fork's home starts as a clone of its source's volume (CSI volume cloning, same namespace and storage class).
      ...(spec.from ? { dataSource: { kind: 'PersistentVolumeClaim', name: pvcName(spec.from) } } : {}),
    },
  };

  const tailscaleAnnotations: Record<string, string> = { [TAILSCALE_HOSTNAME_ANNOTATION]: tailnetHostname(name) };
  if (options.tailscaleTags) tailscaleAnnotations[TAILSCALE_TAGS_ANNOTATION] = options.tailscaleTags;
  if (options.tailscaleProxyClass) tailscaleAnnotations[TAILSCALE_PROXY_CLASS_ANNOTATION] = options.tailscaleProxyClass;

  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(serviceName(name), tailscaleAnnotations),
    spec: {
      // Only this mode makes the Tailscale operator publish the tailnet hostname in
      // status.loadBalancer.ingress[0].hostname (the adapter reads it from there).
      type: 'LoadBalancer',
      loadBalancerClass: TAILSCALE_LOAD_BALANCER_CLASS,
      selector: selectorLabels(name),
      ports: [{ name: 'ssh', protocol: 'TCP', port: SSH_PORT, targetPort: SSH_PORT }],
    },
  };

  const volumes: NonNullable<NonNullable<NonNullable<V1Deployment['spec']>['template']['spec']>['volumes']> = [
    { name: 'home', persistentVolumeClaim: { claimName: pvcName(name) } },
    { name: 'config', configMap: { name: configMapName(name), defaultMode: 0o444 } },
  ];
  const volumeMounts = [
    { name: 'home', mountPath: HOME_MOUNT_PATH },
    { name: 'config', mountPath: CONFIG_MOUNT_PATH, readOnly: true },
  ];
  if (options.toolsClaim) {
    volumes.push({ name: 'tools', persistentVolumeClaim: { claimName: options.toolsClaim, readOnly: true } });
    volumeMounts.push({ name: 'tools', mountPath: TOOLS_MOUNT_PATH, readOnly: true });
  }

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    // The expiry lives on the Deployment, the one object every spark (Go-CLI ones too) has.
    metadata: metadata(deploymentName(name), spec.expiresAt ? { [ANNOTATION_EXPIRES_AT]: spec.expiresAt } : {}),
    spec: {
      replicas: 1,
      // The home volume is ReadWriteOnce: the old pod must release it before the new one starts.
      strategy: { type: 'Recreate' },
      revisionHistoryLimit: 2,
      // Immutable once created, and what Go-CLI sparks used: keep it to the two compatibility labels.
      selector: { matchLabels: selectorLabels(name) },
      template: {
        metadata: { labels: sparkLabels(name) },
        spec: {
          hostname: name,
          // A spark has no business with the Kubernetes API.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: CONTAINER_NAME,
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/bash', `${CONFIG_MOUNT_PATH}/${CONFIGMAP_KEYS.initScript}`],
              ports: [{ name: 'ssh', containerPort: SSH_PORT, protocol: 'TCP' }],
              envFrom: [{ secretRef: { name: secretName(name) } }],
              env: [{ name: 'SPARK_NAME', value: name }],
              resources: {
                requests: { cpu: options.resources.cpuRequest, memory: options.resources.memoryRequest },
                limits: { cpu: options.resources.cpuLimit, memory: options.resources.memoryLimit },
              },
              readinessProbe: {
                exec: { command: ['/bin/bash', '-c', SSH_BANNER_PROBE] },
                initialDelaySeconds: 1,
                periodSeconds: 2,
                timeoutSeconds: 3,
                failureThreshold: 3,
              },
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };

  return { configMap, secret, pvc, service, deployment };
}

/** The objects in the order they are made: the ConfigMap (the root, which claims the name) first. */
export function manifestList(m: SparkManifests): SparkObject[] {
  return [m.configMap, m.secret, m.pvc, m.service, m.deployment];
}

/** The ownerReference every non-root object carries (a garbage-collection backstop; the CLI deletes explicitly). */
export function configMapOwnerReference(sparkName: string, configMapUid: string): V1OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: configMapName(sparkName),
    uid: configMapUid,
    // Not a controller, and no blockOwnerDeletion (which would need update on configmaps/finalizers).
  };
}

/**
 * A copy of `obj` owned by the spark's ConfigMap (whose uid exists only once the ConfigMap is
 * created). The ConfigMap is the single root: never the Deployment, whose re-creation would
 * garbage-collect the home volume.
 */
export function withOwner<T extends SparkObject>(obj: T, configMapUid: string): T {
  const sparkName = obj.metadata?.labels?.[LABEL_SPARK_NAME];
  if (!sparkName) throw new Error(`withOwner: ${obj.kind ?? 'object'} ${obj.metadata?.name ?? ''} has no ${LABEL_SPARK_NAME} label`);
  if (obj.kind === 'ConfigMap') throw new Error('withOwner: the ConfigMap is the root and owns the others');
  return {
    ...obj,
    metadata: { ...obj.metadata, ownerReferences: [configMapOwnerReference(sparkName, configMapUid)] },
  };
}

/** The non-root objects, owned by the ConfigMap, in creation order (what the adapter applies after claim). */
export function ownedManifests(m: SparkManifests, configMapUid: string): Array<V1Secret | V1PersistentVolumeClaim | V1Service | V1Deployment> {
  return [withOwner(m.secret, configMapUid), withOwner(m.pvc, configMapUid), withOwner(m.service, configMapUid), withOwner(m.deployment, configMapUid)];
}
