/**
 * The names, labels and annotations of a spark's Kubernetes objects — a compatibility contract
 * (PRODUCT.md): the Go CLI made sparks with the labels `app=spark` and `spark-name=<name>` only, so
 * anything that finds sparks selects on those two; the `app.kubernetes.io/*` set is added on top.
 */

/** Label keys. */
export const LABEL_APP = 'app';
export const LABEL_SPARK_NAME = 'spark-name';
export const LABEL_K8S_NAME = 'app.kubernetes.io/name';
export const LABEL_K8S_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_K8S_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** The value of `app` (and `app.kubernetes.io/name`, `app.kubernetes.io/managed-by`). */
export const APP = 'spark';

/** Selects every spark, including those made by the Go CLI. */
export const ALL_SPARKS_SELECTOR = `${LABEL_APP}=${APP}`;

/** Selects the objects of these sparks, in one set-based selector. */
export function sparksSelector(names: string[]): string {
  return `${LABEL_APP}=${APP},${LABEL_SPARK_NAME} in (${names.join(',')})`;
}

/** Selects the objects of one spark (Go-CLI sparks carry only these two labels, so select on them). */
export function sparkSelector(name: string): string {
  return `${LABEL_APP}=${APP},${LABEL_SPARK_NAME}=${name}`;
}

/** The same selector as a matchLabels map (Deployment spec.selector — immutable, keep it minimal). */
export function selectorLabels(name: string): Record<string, string> {
  return { [LABEL_APP]: APP, [LABEL_SPARK_NAME]: name };
}

/** Labels on every object of a spark and on its pod template. */
export function sparkLabels(name: string): Record<string, string> {
  return {
    [LABEL_APP]: APP,
    [LABEL_SPARK_NAME]: name,
    [LABEL_K8S_NAME]: APP,
    [LABEL_K8S_INSTANCE]: name,
    [LABEL_K8S_MANAGED_BY]: APP,
  };
}

/** Annotation keys spark writes (absent on Go-CLI sparks, which is how `legacy` is recognised). */
export const ANNOTATION_CREATED_AT = 'spark.dev/created-at';
export const ANNOTATION_CREATOR = 'spark.dev/creator';
export const ANNOTATION_REPO = 'spark.dev/repo';
export const ANNOTATION_DATABASE = 'spark.dev/database';
export const ANNOTATION_ISOLATION = 'spark.dev/isolation';
/** On the ConfigMap while its create runs (core/inflight.ts): delete refuses until it is gone. */
export const ANNOTATION_CREATING = 'spark.dev/creating';
/** On the Deployment: ISO time after which `spark reap` may delete the spark (expiry.ts). */
export const ANNOTATION_EXPIRES_AT = 'spark.dev/expires-at';

/** Tailscale operator annotations on the SSH Service. */
export const TAILSCALE_HOSTNAME_ANNOTATION = 'tailscale.com/hostname';
export const TAILSCALE_TAGS_ANNOTATION = 'tailscale.com/tags';
export const TAILSCALE_PROXY_CLASS_ANNOTATION = 'tailscale.com/proxy-class';
export const TAILSCALE_LOAD_BALANCER_CLASS = 'tailscale';

/** The field manager of server-side apply. */
export const FIELD_MANAGER = 'spark';

/** The one container of a spark's pod. */
export const CONTAINER_NAME = 'spark';

/** Object names. */
export const deploymentName = (name: string): string => name;
export const serviceName = (name: string): string => `${name}-ssh`;
export const pvcName = (name: string): string => `${name}-storage`;
export const configMapName = (name: string): string => `${name}-config`;
export const secretName = (name: string): string => `${name}-secret`;
/** The tailnet machine name (`ssh user@spark-<name>`). */
export const tailnetHostname = (name: string): string => `spark-${name}`;

/** The cluster Secret holding the CLI's own configuration (PRODUCT.md precedence). */
export const CLI_CONFIG_SECRET = 'spark-cli-config';

/** The spark name an object belongs to, from its labels (undefined when it is not a spark's). */
export function sparkNameOf(labels: Record<string, string> | undefined): string | undefined {
  if (!labels || labels[LABEL_APP] !== APP) return undefined;
  return labels[LABEL_SPARK_NAME] || undefined;
}
