/**
 * Server-side printing: kubectl asks for `as=Table` and prints the columns the server chooses, so
 * `kubectl get` shows what it shows against a real cluster (READY, STATUS, EXTERNAL-IP...).
 */
import { isObject, type JsonObject } from './patch.js';
import type { ResourceDef } from './resources.js';
import type { KubeObject } from './store.js';

interface Column {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
  cell: (o: KubeObject) => string | number;
}

/** The API server's HumanDuration. */
export function age(since: string | undefined, now = Date.now()): string {
  if (!since) return '<unknown>';
  const s = Math.floor((now - Date.parse(since)) / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

const o_ = (v: unknown): JsonObject => (isObject(v) ? v : {});
const a_ = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

const NAME: Column = { name: 'Name', format: 'name', cell: (o) => o.metadata.name ?? '' };
const AGE: Column = { name: 'Age', cell: (o) => age(o.metadata.creationTimestamp) };

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const status = o_(o.status);
  for (const c of a_(status.containerStatuses)) {
    const reason = o_(o_(c.state).waiting).reason ?? o_(o_(c.state).terminated).reason;
    if (reason) return String(reason);
  }
  return String(status.reason ?? status.phase ?? 'Pending');
}

function servicePorts(o: KubeObject): string {
  const ports = a_(o_(o.spec).ports).map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`);
  return ports.join(',') || '<none>';
}

function externalIP(o: KubeObject): string {
  const spec = o_(o.spec);
  const ingress = a_(o_(o_(o.status).loadBalancer).ingress).map((i) => String(i.ip ?? i.hostname ?? ''));
  if (spec.type === 'LoadBalancer') return ingress.join(',') || '<pending>';
  if (spec.type === 'ExternalName') return String(spec.externalName ?? '');
  return '<none>';
}

const COLUMNS: Record<string, Column[]> = {
  deployments: [
    NAME,
    { name: 'Ready', cell: (o) => `${num(o_(o.status).readyReplicas)}/${num(o_(o.spec).replicas)}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(o_(o.status).updatedReplicas) },
    { name: 'Available', type: 'integer', cell: (o) => num(o_(o.status).availableReplicas) },
    AGE,
    { name: 'Containers', priority: 1, cell: (o) => a_(o_(o_(o_(o.spec).template).spec).containers).map((c) => String(c.name)).join(',') },
    { name: 'Images', priority: 1, cell: (o) => a_(o_(o_(o_(o.spec).template).spec).containers).map((c) => String(c.image)).join(',') },
    { name: 'Selector', priority: 1, cell: (o) => Object.entries(o_(o_(o_(o.spec).selector).matchLabels)).map(([k, v]) => `${k}=${String(v)}`).join(',') },
  ],
  replicasets: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => num(o_(o.spec).replicas) },
    { name: 'Current', type: 'integer', cell: (o) => num(o_(o.status).replicas) },
    { name: 'Ready', type: 'integer', cell: (o) => num(o_(o.status).readyReplicas) },
    AGE,
  ],
  pods: [
    NAME,
    {
      name: 'Ready',
      cell: (o) => {
        const cs = a_(o_(o.status).containerStatuses);
        const total = a_(o_(o.spec).containers).length;
        return `${cs.filter((c) => c.ready === true).length}/${total}`;
      },
    },
    { name: 'Status', cell: podStatus },
    { name: 'Restarts', type: 'integer', cell: (o) => a_(o_(o.status).containerStatuses).reduce((n, c) => n + num(c.restartCount), 0) },
    AGE,
    { name: 'IP', priority: 1, cell: (o) => String(o_(o.status).podIP ?? '<none>') },
    { name: 'Node', priority: 1, cell: (o) => String(o_(o.spec).nodeName ?? '<none>') },
  ],
  services: [
    NAME,
    { name: 'Type', cell: (o) => String(o_(o.spec).type ?? 'ClusterIP') },
    { name: 'Cluster-IP', cell: (o) => String(o_(o.spec).clusterIP ?? '<none>') },
    { name: 'External-IP', cell: externalIP },
    { name: 'Port(s)', cell: servicePorts },
    AGE,
  ],
  persistentvolumeclaims: [
    NAME,
    { name: 'Status', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : String(o_(o.status).phase ?? '')) },
    { name: 'Volume', cell: (o) => String(o_(o.spec).volumeName ?? '') },
    { name: 'Capacity', cell: (o) => String(o_(o_(o.status).capacity).storage ?? '') },
    { name: 'Access Modes', cell: (o) => (Array.isArray(o_(o.status).accessModes) ? (o_(o.status).accessModes as string[]) : []).map((m) => m.replace('ReadWriteOnce', 'RWO').replace('ReadOnlyMany', 'ROX').replace('ReadWriteMany', 'RWX')).join(',') },
    { name: 'StorageClass', cell: (o) => String(o_(o.spec).storageClassName ?? '<unset>') },
    { name: 'VolumeAttributesClass', cell: () => '<unset>' },
    AGE,
  ],
  configmaps: [NAME, { name: 'Data', type: 'integer', cell: (o) => Object.keys(o_(o.data)).length + Object.keys(o_(o.binaryData)).length }, AGE],
  secrets: [NAME, { name: 'Type', cell: (o) => String(o.type ?? 'Opaque') }, { name: 'Data', type: 'integer', cell: (o) => Object.keys(o_(o.data)).length }, AGE],
  namespaces: [NAME, { name: 'Status', cell: (o) => String(o_(o.status).phase ?? 'Active') }, AGE],
  events: [
    { name: 'Last Seen', cell: (o) => age((o.lastTimestamp as string | undefined) ?? (o.eventTime as string | undefined) ?? o.metadata.creationTimestamp) },
    { name: 'Type', cell: (o) => String(o.type ?? '') },
    { name: 'Reason', cell: (o) => String(o.reason ?? '') },
    { name: 'Object', cell: (o) => `${String(o_(o.involvedObject).kind ?? '').toLowerCase()}/${String(o_(o.involvedObject).name ?? '')}` },
    { name: 'Message', cell: (o) => String(o.message ?? '') },
  ],
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** A `meta.k8s.io/v1` Table of these objects. */
export function toTable(def: ResourceDef, objects: KubeObject[], resourceVersion: string, include: IncludeObject): unknown {
  const columns = COLUMNS[def.plural] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type ?? 'string',
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({ cells: columns.map((c) => c.cell(o)), object: rowObject(o, include) })),
  };
}

/** Whether the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return Boolean(accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept));
}
