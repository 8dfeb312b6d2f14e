/**
 * Discovery documents (legacy, unaggregated: clients that ask for aggregated discovery fall back
 * when the answer is plain `application/json`), `/version`, and a minimal OpenAPI v3 that tells
 * kubectl the server validates fields itself, so `kubectl apply` needs neither `/openapi/v2` nor
 * `--validate=false`.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, GROUP_VERSIONS, RESOURCES, REVIEW_RESOURCES } from './resources.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groups(): { name: string; version: string }[] {
  return GROUP_VERSIONS.filter((gv) => gv.includes('/')).map((gv) => {
    const [name, version] = gv.split('/') as [string, string];
    return { name, version };
  });
}

export function apiGroupList(): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups().map((g) => {
      const gv = { groupVersion: `${g.name}/${g.version}`, version: g.version };
      return { name: g.name, versions: [gv], preferredVersion: gv };
    }),
  };
}

export function apiGroup(name: string): unknown {
  const g = groups().find((x) => x.name === name);
  if (!g) return undefined;
  const gv = { groupVersion: `${g.name}/${g.version}`, version: g.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [gv], preferredVersion: gv };
}

/** The APIResourceList of one group version, with status and scale subresources. */
export function apiResourceList(groupVersion: string): unknown {
  if (!(GROUP_VERSIONS as readonly string[]).includes(groupVersion)) return undefined;
  const resources: unknown[] = [];
  for (const r of RESOURCES.filter((x) => apiVersionOf(x) === groupVersion)) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: createHash('sha256').update(`${groupVersion}/${r.kind}`).digest('base64').slice(0, 11),
    });
    if (r.hasStatus) {
      resources.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
    if (r.plural === 'deployments' || r.plural === 'replicasets') {
      resources.push({
        name: `${r.plural}/scale`,
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  for (const r of REVIEW_RESOURCES.filter((x) => apiVersionOf(x) === groupVersion)) {
    resources.push({ name: r.plural, singularName: r.singular, namespaced: false, kind: r.kind, verbs: ['create'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

// ------------------------------------------------------------------ OpenAPI v3

const openApiPath = (gv: string): string => (gv.includes('/') ? `apis/${gv}` : `api/${gv}`);
const HASH = createHash('sha256').update(SERVER_VERSION.gitVersion).digest('hex').slice(0, 16).toUpperCase();

export function openApiRoot(): unknown {
  return {
    paths: Object.fromEntries(
      GROUP_VERSIONS.filter((gv) => !gv.startsWith('authorization')).map((gv) => [
        openApiPath(gv),
        { serverRelativeURL: `/openapi/v3/${openApiPath(gv)}?hash=${HASH}` },
      ]),
    ),
  };
}

/**
 * The OpenAPI v3 document of one group version: only the PATCH operation of each kind, carrying the
 * `fieldValidation` parameter — kubectl looks for exactly this to leave validation to the server.
 * (No request body is declared, so kubectl computes strategic merge patches from its built-in types.)
 */
export function openApiDocument(path: string): unknown {
  const gv = GROUP_VERSIONS.find((x) => openApiPath(x) === path);
  if (!gv || gv.startsWith('authorization')) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => apiVersionOf(x) === gv)) {
    const prefix = `/${openApiPath(gv)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    paths[prefix] = {
      patch: {
        operationId: `patch${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        parameters: [
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}
