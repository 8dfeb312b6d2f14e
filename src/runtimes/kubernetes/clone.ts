/**
 * Can a fork's home volume be a clone of its source's? Kubernetes clones a PVC (`dataSource` kind
 * PersistentVolumeClaim) only through a CSI driver, within one namespace and storage class. In-tree
 * provisioners (`kubernetes.io/…`) make the claim fail (ProvisioningFailed: "Only CSI plugin can
 * provision a claim with a datasource"), and the usual homelab hostpath provisioners cannot clone,
 * so the pod would never start: those get a fresh home instead, said plainly.
 */
import type * as k8s from '@kubernetes/client-node';

/** Provisioners known not to clone (they are no CSI driver, or ignore dataSource). */
const NO_CLONE = [/^kubernetes\.io\//, /^rancher\.io\/local-path$/, /hostpath/i, /nfs-subdir-external-provisioner/, /^cluster\.local\/nfs/];

export const PROVISIONER_ANNOTATIONS = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'];

export type CloneDecision = { clone: true } | { clone: false; why: string };

/** Pure: from the source's claim (as read) and the storage class the new claim asks for (undefined: the default). */
export function cloneDecision(source: k8s.V1PersistentVolumeClaim | undefined, storageClass: string | undefined): CloneDecision {
  if (!source) return { clone: false, why: 'the source spark has no home volume' };
  const sourceClass = source.spec?.storageClassName;
  if (storageClass !== undefined && sourceClass !== storageClass) return { clone: false, why: `its home volume is of storage class ${sourceClass ?? '(default)'}, not ${storageClass} (SPARK_STORAGE_CLASS): clones stay in one class` };
  const annotations = source.metadata?.annotations ?? {};
  const provisioner = PROVISIONER_ANNOTATIONS.map((a) => annotations[a]).find(Boolean);
  if (!provisioner) return { clone: false, why: 'the provisioner of its home volume is unknown (a volume made by hand cannot be cloned safely)' };
  if (NO_CLONE.some((re) => re.test(provisioner))) return { clone: false, why: `its storage provisioner ${provisioner} cannot clone volumes (only CSI drivers can)` };
  return { clone: true };
}
