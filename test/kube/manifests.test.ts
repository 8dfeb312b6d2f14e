import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import type { Config } from '../../src/config/index.js';
import type { SparkSpec } from '../../src/core/ports.js';
import { MAX_NAME_LENGTH } from '../../src/names/index.js';
import { INIT_SCRIPT } from '../../src/runtimes/kubernetes/init-script.js';
import {
  ALL_SPARKS_SELECTOR,
  configMapName,
  deploymentName,
  pvcName,
  secretName,
  selectorLabels,
  serviceName,
  sparkLabels,
  sparkNameOf,
  sparkSelector,
  tailnetHostname,
} from '../../src/runtimes/kubernetes/labels.js';
import {
  CONFIG_MOUNT_PATH,
  DEFAULT_MANIFEST_OPTIONS,
  HOME_MOUNT_PATH,
  SSH_BANNER_PROBE,
  TOOLS_MOUNT_PATH,
  manifestList,
  manifestOptionsFromConfig,
  ownedManifests,
  sparkManifests,
  withOwner,
  type ManifestOptions,
  type SparkObject,
} from '../../src/runtimes/kubernetes/manifests.js';

const spec: SparkSpec = {
  name: 'brave-dolphin',
  repo: 'https://github.com/acme/widgets.git',
  databaseName: 'brave-dolphin',
  databaseUrl: 'postgresql://spark:s3cr%40t@postgres.example:5432/brave-dolphin?sslmode=disable',
  isolation: 'shared',
  createdAt: '2025-01-02T03:04:05.000Z',
  creator: 'alice@laptop',
  sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests alice@laptop',
  anthropicApiKey: 'sk-ant-api03-test',
  githubToken: 'github_pat_test',
  dotfilesRepo: 'https://github.com/alice/dotfiles.git',
};

const options: ManifestOptions = {
  ...DEFAULT_MANIFEST_OPTIONS,
  namespace: 'spark',
  image: 'ghcr.io/acme/spark-base:1.2.3',
  storageSize: '20Gi',
  storageClass: 'longhorn',
  resources: { cpuRequest: '500m', cpuLimit: '4', memoryRequest: '1Gi', memoryLimit: '8Gi' },
  tailscaleTags: 'tag:spark,tag:dev',
  tailscaleProxyClass: 'spark-proxy',
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** What the API server checks and kubernetes-models' schemas do not: names, label syntax. */
function assertApiServerNames(obj: SparkObject): void {
  const name = obj.metadata?.name ?? '';
  if (obj.kind === 'Service') {
    assert.ok(name.length <= 63 && DNS1035_LABEL.test(name), `Service name ${name} must be a DNS-1035 label`);
  } else {
    assert.ok(name.length <= 253 && DNS1123_SUBDOMAIN.test(name), `${obj.kind} name ${name} must be a DNS-1123 subdomain`);
  }
  assert.ok(obj.metadata?.namespace && DNS1123_LABEL.test(obj.metadata.namespace));
  const labelSets = [obj.metadata?.labels ?? {}];
  if (obj.kind === 'Deployment') {
    const d = obj as typeof obj & { spec: NonNullable<Deployment['spec']> };
    labelSets.push(d.spec.template.metadata?.labels ?? {}, d.spec.selector.matchLabels ?? {});
    const hostname = d.spec.template.spec?.hostname;
    if (hostname) assert.ok(hostname.length <= 63 && DNS1123_LABEL.test(hostname), `hostname ${hostname}`);
  }
  for (const labels of labelSets) {
    for (const [key, value] of Object.entries(labels)) {
      assert.match(key, QUALIFIED_NAME);
      assert.ok(value.length <= 63 && LABEL_VALUE.test(value), `label ${key}=${value}`);
    }
  }
  for (const key of Object.keys(obj.metadata?.annotations ?? {})) assert.match(key, QUALIFIED_NAME);
}

/** Validates against the Kubernetes OpenAPI schema (kubernetes-models); throws on a violation. */
function validateSchema(obj: SparkObject): void {
  // The models' constructors take their own (structurally equal) types: go through unknown.
  const input = structuredClone(obj) as never;
  switch (obj.kind) {
    case 'ConfigMap':
      new ConfigMap(input).validate();
      break;
    case 'Secret':
      new Secret(input).validate();
      break;
    case 'PersistentVolumeClaim':
      new PersistentVolumeClaim(input).validate();
      break;
    case 'Service':
      new Service(input).validate();
      break;
    case 'Deployment':
      new Deployment(input).validate();
      break;
    default:
      assert.fail(`unexpected kind ${obj.kind}`);
  }
}

const UID = '6b1f1c1e-9d7a-4c1b-8e0e-0a1b2c3d4e5f';

describe('sparkManifests', () => {
  const m = sparkManifests(spec, options);
  const d = m.deployment.spec!;
  const pod = d.template.spec!;
  const container = pod.containers[0]!;

  test('every object validates against the Kubernetes OpenAPI schema, also when owned', () => {
    for (const obj of manifestList(m)) {
      validateSchema(obj);
      assertApiServerNames(obj);
    }
    for (const obj of ownedManifests(m, UID)) validateSchema(obj);
  });

  test('the schema check is real: it rejects a broken object', () => {
    const broken = structuredClone(m.deployment) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'one';
    assert.throws(() => validateSchema(broken as unknown as SparkObject), /replicas/);
  });

  test('objects are named as PRODUCT.md says, in creation order with the ConfigMap first', () => {
    assert.deepEqual(
      manifestList(m).map((o) => `${o.kind}/${o.metadata?.name}`),
      ['ConfigMap/brave-dolphin-config', 'Secret/brave-dolphin-secret', 'PersistentVolumeClaim/brave-dolphin-storage', 'Service/brave-dolphin-ssh', 'Deployment/brave-dolphin'],
    );
    for (const obj of manifestList(m)) assert.equal(obj.metadata?.namespace, 'spark');
    assert.equal(deploymentName('x'), 'x');
    assert.equal(serviceName('x'), 'x-ssh');
    assert.equal(pvcName('x'), 'x-storage');
    assert.equal(configMapName('x'), 'x-config');
    assert.equal(secretName('x'), 'x-secret');
    assert.equal(tailnetHostname('x'), 'spark-x');
  });

  test('labels on every object and the pod template; the Go-CLI labels select them', () => {
    const expected = {
      app: 'spark',
      'spark-name': 'brave-dolphin',
      'app.kubernetes.io/name': 'spark',
      'app.kubernetes.io/instance': 'brave-dolphin',
      'app.kubernetes.io/managed-by': 'spark',
    };
    assert.deepEqual(sparkLabels('brave-dolphin'), expected);
    for (const obj of manifestList(m)) assert.deepEqual(obj.metadata?.labels, expected, obj.kind);
    assert.deepEqual(d.template.metadata?.labels, expected);
    // The selector (immutable) is what Go-CLI sparks used, so both kinds of spark look alike.
    assert.deepEqual(d.selector.matchLabels, { app: 'spark', 'spark-name': 'brave-dolphin' });
    assert.deepEqual(m.service.spec?.selector, selectorLabels('brave-dolphin'));
    assert.equal(ALL_SPARKS_SELECTOR, 'app=spark');
    assert.equal(sparkSelector('brave-dolphin'), 'app=spark,spark-name=brave-dolphin');
    assert.equal(sparkNameOf({ app: 'spark', 'spark-name': 'wise-falcon' }), 'wise-falcon');
    assert.equal(sparkNameOf({ app: 'other', 'spark-name': 'wise-falcon' }), undefined);
  });

  test('annotations record creation time, creator, repo, database and isolation', () => {
    for (const obj of manifestList(m)) {
      const a = obj.metadata?.annotations ?? {};
      assert.equal(a['spark.dev/created-at'], '2025-01-02T03:04:05.000Z');
      assert.equal(a['spark.dev/creator'], 'alice@laptop');
      assert.equal(a['spark.dev/repo'], 'https://github.com/acme/widgets.git');
      assert.equal(a['spark.dev/database'], 'brave-dolphin');
      assert.equal(a['spark.dev/isolation'], 'shared');
    }
    const bare = sparkManifests({ ...spec, repo: undefined, isolation: 'role' }, options);
    assert.equal(bare.deployment.metadata?.annotations?.['spark.dev/repo'], undefined);
    assert.equal(bare.deployment.metadata?.annotations?.['spark.dev/isolation'], 'role');
  });

  test('Deployment: one replica, Recreate, image, resources, probe, command', () => {
    assert.equal(d.replicas, 1);
    assert.deepEqual(d.strategy, { type: 'Recreate' });
    assert.equal(pod.containers.length, 1);
    assert.equal(container.image, 'ghcr.io/acme/spark-base:1.2.3');
    assert.deepEqual(container.resources, { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '4', memory: '8Gi' } });
    assert.deepEqual(container.readinessProbe?.exec?.command, ['/bin/bash', '-c', SSH_BANNER_PROBE]);
    assert.deepEqual(container.ports, [{ name: 'ssh', containerPort: 22, protocol: 'TCP' }]);
    assert.deepEqual(container.command, ['/bin/bash', `${CONFIG_MOUNT_PATH}/init.sh`]);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.hostname, 'brave-dolphin');
  });

  test('Deployment: env from the Secret plus SPARK_NAME; ConfigMap read-only; home volume at /home/user', () => {
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'brave-dolphin-secret' } }]);
    assert.deepEqual(container.env, [{ name: 'SPARK_NAME', value: 'brave-dolphin' }]);
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((v) => [v.mountPath, v]));
    const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    const home = mounts[HOME_MOUNT_PATH]!;
    assert.equal(HOME_MOUNT_PATH, '/home/user');
    assert.equal(home.readOnly, undefined);
    assert.deepEqual(volumes[home.name]?.persistentVolumeClaim, { claimName: 'brave-dolphin-storage' });
    const config = mounts[CONFIG_MOUNT_PATH]!;
    assert.equal(config.readOnly, true);
    assert.equal(volumes[config.name]?.configMap?.name, 'brave-dolphin-config');
    assert.equal(mounts[TOOLS_MOUNT_PATH], undefined, 'no tools volume unless configured');
    // The init script reads its inputs from where the ConfigMap is mounted.
    assert.match(INIT_SCRIPT, new RegExp(`^SPARK_CONFIG_DIR=${CONFIG_MOUNT_PATH}$`, 'm'));
    assert.match(INIT_SCRIPT, new RegExp(`^SPARK_HOME=${HOME_MOUNT_PATH}$`, 'm'));
  });

  test('Service: Tailscale LoadBalancer on port 22 with the tailnet hostname, tags and proxy class', () => {
    const s = m.service;
    assert.equal(s.spec?.type, 'LoadBalancer');
    assert.equal(s.spec?.loadBalancerClass, 'tailscale');
    assert.deepEqual(s.spec?.ports, [{ name: 'ssh', protocol: 'TCP', port: 22, targetPort: 22 }]);
    const a = s.metadata?.annotations ?? {};
    assert.equal(a['tailscale.com/hostname'], 'spark-brave-dolphin');
    assert.equal(a['tailscale.com/tags'], 'tag:spark,tag:dev');
    assert.equal(a['tailscale.com/proxy-class'], 'spark-proxy');
    const plain = sparkManifests(spec, DEFAULT_MANIFEST_OPTIONS).service.metadata?.annotations ?? {};
    assert.equal(plain['tailscale.com/hostname'], 'spark-brave-dolphin');
    assert.ok(!('tailscale.com/tags' in plain) && !('tailscale.com/proxy-class' in plain));
  });

  test('PVC: ReadWriteOnce, size and storage class from options; 10Gi and cluster default otherwise', () => {
    assert.deepEqual(m.pvc.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'longhorn' });
    const plain = sparkManifests(spec, DEFAULT_MANIFEST_OPTIONS).pvc.spec;
    assert.deepEqual(plain, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
  });

  test('ConfigMap: authorized keys, repos and the init script', () => {
    assert.deepEqual(Object.keys(m.configMap.data ?? {}).sort(), ['DOTFILES_REPO', 'GIT_REPO', 'authorized_keys', 'init.sh']);
    assert.equal(m.configMap.data?.authorized_keys, `${spec.sshPublicKey}\n`);
    assert.equal(m.configMap.data?.GIT_REPO, spec.repo);
    assert.equal(m.configMap.data?.DOTFILES_REPO, spec.dotfilesRepo);
    assert.equal(m.configMap.data?.['init.sh'], INIT_SCRIPT);
    const bare = sparkManifests({ ...spec, repo: undefined, dotfilesRepo: undefined, sshPublicKey: undefined }, options).configMap.data;
    assert.deepEqual({ ...bare, 'init.sh': '' }, { authorized_keys: '', GIT_REPO: '', DOTFILES_REPO: '', 'init.sh': '' });
  });

  test('Secret: Opaque, only the values that are set, and no secret anywhere else', () => {
    assert.equal(m.secret.type, 'Opaque');
    assert.deepEqual(m.secret.stringData, { DATABASE_URL: spec.databaseUrl, ANTHROPIC_API_KEY: 'sk-ant-api03-test', GITHUB_TOKEN: 'github_pat_test' });
    const minimal = sparkManifests({ ...spec, anthropicApiKey: undefined, githubToken: '' }, options);
    assert.deepEqual(minimal.secret.stringData, { DATABASE_URL: spec.databaseUrl });
    const elsewhere = JSON.stringify([m.configMap, m.pvc, m.service, m.deployment]);
    for (const secret of [spec.databaseUrl, 's3cr', spec.anthropicApiKey!, spec.githubToken!]) assert.ok(!elsewhere.includes(secret), `${secret} leaks`);
  });

  test('ownerReferences: the ConfigMap owns the others (never the Deployment), as a backstop only', () => {
    assert.equal(m.configMap.metadata?.ownerReferences, undefined);
    const owned = ownedManifests(m, UID);
    assert.deepEqual(owned.map((o) => o.kind), ['Secret', 'PersistentVolumeClaim', 'Service', 'Deployment']);
    for (const obj of owned) {
      assert.deepEqual(obj.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'brave-dolphin-config', uid: UID }]);
    }
    // withOwner copies: the pure manifests stay unowned.
    assert.equal(m.pvc.metadata?.ownerReferences, undefined);
    assert.equal(withOwner(m.pvc, UID).spec, m.pvc.spec);
    assert.throws(() => withOwner(m.configMap, UID), /root/);
    assert.throws(() => withOwner({ ...m.secret, metadata: { name: 'x' } }, UID), /spark-name/);
  });

  test('pure: the same input gives the same objects', () => {
    assert.deepEqual(sparkManifests(spec, options), sparkManifests(structuredClone(spec), structuredClone(options)));
  });

  test('a shared tools volume is mounted read-only when configured', () => {
    const t = sparkManifests(spec, { ...options, toolsClaim: 'spark-tools' }).deployment;
    validateSchema(t);
    const podSpec = t.spec!.template.spec!;
    const mount = podSpec.containers[0]!.volumeMounts!.find((v) => v.mountPath === TOOLS_MOUNT_PATH);
    assert.equal(mount?.readOnly, true);
    assert.deepEqual(podSpec.volumes!.find((v) => v.name === mount?.name)?.persistentVolumeClaim, { claimName: 'spark-tools', readOnly: true });
  });

  test('a name of the maximum length produces valid objects', () => {
    const name = `a${'b'.repeat(MAX_NAME_LENGTH - 2)}9`;
    assert.equal(name.length, MAX_NAME_LENGTH);
    const long = sparkManifests({ ...spec, name, databaseName: name }, options);
    for (const obj of [...manifestList(long), ...ownedManifests(long, UID)]) {
      validateSchema(obj);
      assertApiServerNames(obj);
    }
    const hostname = long.service.metadata?.annotations?.['tailscale.com/hostname'] ?? '';
    assert.ok(hostname.length <= 63 && DNS1123_LABEL.test(hostname), hostname);
  });
});

describe('manifestOptionsFromConfig', () => {
  const reader = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

  test('takes the loaded Config as it is (checked by the compiler)', () => {
    const fromConfig: (config: Config) => ManifestOptions = manifestOptionsFromConfig;
    assert.equal(typeof fromConfig, 'function');
  });

  test('defaults match the configuration defaults', () => {
    assert.deepEqual(manifestOptionsFromConfig(reader({})), DEFAULT_MANIFEST_OPTIONS);
  });

  test('reads every setting; blank optional ones are unset', () => {
    const o = manifestOptionsFromConfig(
      reader({
        SPARK_NAMESPACE: 'dev',
        SPARK_IMAGE: 'img:1',
        SPARK_STORAGE_SIZE: '5Gi',
        SPARK_STORAGE_CLASS: 'fast',
        SPARK_CPU_REQUEST: '100m',
        SPARK_CPU_LIMIT: '1',
        SPARK_MEMORY_REQUEST: '256Mi',
        SPARK_MEMORY_LIMIT: '2Gi',
        SPARK_TAILSCALE_TAGS: 'tag:a',
        SPARK_TAILSCALE_PROXY_CLASS: ' ',
      }),
    );
    assert.deepEqual(o, {
      namespace: 'dev',
      image: 'img:1',
      storageSize: '5Gi',
      storageClass: 'fast',
      resources: { cpuRequest: '100m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '2Gi' },
      tailscaleTags: 'tag:a',
    });
  });

  test('the defaults are those of src/config/keys.ts', async () => {
    const { KEYS } = await import('../../src/config/keys.js');
    const d = DEFAULT_MANIFEST_OPTIONS;
    assert.equal(KEYS.SPARK_NAMESPACE.default(), d.namespace);
    assert.equal(KEYS.SPARK_IMAGE.default(), d.image);
    assert.equal(KEYS.SPARK_STORAGE_SIZE.default(), d.storageSize);
    assert.equal(KEYS.SPARK_CPU_REQUEST.default(), d.resources.cpuRequest);
    assert.equal(KEYS.SPARK_CPU_LIMIT.default(), d.resources.cpuLimit);
    assert.equal(KEYS.SPARK_MEMORY_REQUEST.default(), d.resources.memoryRequest);
    assert.equal(KEYS.SPARK_MEMORY_LIMIT.default(), d.resources.memoryLimit);
  });
});
