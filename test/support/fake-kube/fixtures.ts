/**
 * Sparks as the Go CLI made them (labels `app=spark` and `spark-name` only, no annotations): for
 * seeding the fake and for `kubectl apply` in tests.
 */
import { stringify } from 'yaml';
import { configMapName, pvcName, secretName, serviceName, tailnetHostname } from '../../../src/runtimes/kubernetes/labels.js';

export interface GoSparkOptions {
  namespace?: string;
  image?: string;
  /** Include the ConfigMap and the Secret (the Go CLI's `load-env` era sparks had both). */
  withConfig?: boolean;
}

export function goSparkObjects(name: string, options: GoSparkOptions = {}): Record<string, unknown>[] {
  const namespace = options.namespace ?? 'spark';
  const labels = { app: 'spark', 'spark-name': name };
  const meta = (n: string, extra: Record<string, unknown> = {}) => ({ name: n, namespace, labels, ...extra });
  const objects: Record<string, unknown>[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'spark',
                image: options.image ?? 'debian:bookworm',
                command: ['/bin/bash', '/config/init.sh'],
                ports: [{ containerPort: 22, name: 'ssh' }],
                env: [{ name: 'SPARK_NAME', value: name }],
                ...(options.withConfig ? { envFrom: [{ secretRef: { name: secretName(name) } }] } : {}),
                volumeMounts: [
                  { name: 'home', mountPath: '/home/user' },
                  ...(options.withConfig ? [{ name: 'config', mountPath: '/config', readOnly: true }] : []),
                ],
              },
            ],
            volumes: [
              { name: 'home', persistentVolumeClaim: { claimName: pvcName(name) } },
              ...(options.withConfig ? [{ name: 'config', configMap: { name: configMapName(name) } }] : []),
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(serviceName(name), { annotations: { 'tailscale.com/hostname': tailnetHostname(name) } }),
      spec: { type: 'LoadBalancer', loadBalancerClass: 'tailscale', selector: labels, ports: [{ name: 'ssh', port: 22, targetPort: 22 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(pvcName(name)),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    },
  ];
  if (options.withConfig) {
    objects.push(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configMapName(name)), data: { 'init.sh': '#!/bin/bash\nexec sleep infinity\n', authorized_keys: 'ssh-ed25519 AAAA test' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: meta(secretName(name)), type: 'Opaque', stringData: { DATABASE_URL: `postgresql://spark:secret@db:5432/${name}` } },
    );
  }
  return objects;
}

/** The same objects as one multi-document YAML file. */
export function goSparkYaml(name: string, options: GoSparkOptions = {}): string {
  return goSparkObjects(name, options).map((o) => stringify(o)).join('---\n');
}
