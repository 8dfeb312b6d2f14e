/**
 * deploy/: every YAML parses and validates against the Kubernetes OpenAPI schemas, rbac.yaml
 * grants exactly what src/runtimes/kubernetes/permissions.ts lists, and load-env.sh is run in
 * bash and zsh against a stand-in kubectl (which renders the script's template with the real
 * kubectl's client-side dry run).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { KEYS } from '../src/config/keys.js';
import { CLI_CONFIG_SECRET } from '../src/runtimes/kubernetes/labels.js';
import { TOOLS_MOUNT_PATH } from '../src/runtimes/kubernetes/manifests.js';
import { SPARK_PERMISSIONS, accessChecks, describeAccess, ruleFor } from '../src/runtimes/kubernetes/permissions.js';

interface KubeDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const DEPLOY = 'deploy';

function load(file: string): KubeDoc[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'));
  return docs.map((doc) => {
    assert.deepEqual(doc.errors, [], `${file}: ${doc.errors.join('; ')}`);
    return doc.toJS() as KubeDoc;
  });
}

// The models' constructors want their own types; the YAML is untyped input: go through never.
const validators: Record<string, (doc: never) => void> = {
  'v1/Namespace': (d) => new Namespace(d).validate(),
  'v1/Secret': (d) => new Secret(d).validate(),
  'v1/PersistentVolumeClaim': (d) => new PersistentVolumeClaim(d).validate(),
  'v1/ServiceAccount': (d) => new ServiceAccount(d).validate(),
  'batch/v1/Job': (d) => new Job(d).validate(),
  'batch/v1/CronJob': (d) => new CronJob(d).validate(),
  'rbac.authorization.k8s.io/v1/Role': (d) => new Role(d).validate(),
  'rbac.authorization.k8s.io/v1/RoleBinding': (d) => new RoleBinding(d).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRole': (d) => new ClusterRole(d).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (d) => new ClusterRoleBinding(d).validate(),
};

const YAMLS = ['namespace.yaml', 'secret.yaml.template', 'tools-pvc.yaml', 'tools-job.yaml', 'rbac.yaml', 'reaper.yaml'];

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

describe('deploy/ YAML', () => {
  test('the files PRODUCT.md promises ship, and no secret.yaml is tracked', () => {
    for (const file of [...YAMLS, 'load-env.sh', 'README.md']) assert.ok(existsSync(join(DEPLOY, file)), `deploy/${file} is missing`);
    assert.deepEqual(
      readdirSync(DEPLOY).filter((f) => /\.ya?ml(\.template)?$/.test(f) && f !== 'secret.yaml').sort(),
      [...YAMLS].sort(),
      'every YAML in deploy/ is validated here',
    );
    const ignored = spawnSync('git', ['check-ignore', '-q', 'deploy/secret.yaml']);
    assert.equal(ignored.status, 0, '.gitignore must ignore deploy/secret.yaml');
  });

  for (const file of YAMLS) {
    test(`${file} parses and every object validates against the OpenAPI schema`, () => {
      const docs = load(file);
      assert.ok(docs.length > 0);
      for (const doc of docs) {
        const validate = validators[`${doc.apiVersion}/${doc.kind}`];
        assert.ok(validate, `${file}: no validator for ${doc.apiVersion} ${doc.kind}`);
        validate(doc as never);
        if (doc.kind !== 'Namespace' && !doc.kind.startsWith('Cluster')) assert.equal(doc.metadata.namespace, 'spark', `${file}: ${doc.kind} ${doc.metadata.name}`);
      }
    });
  }

  test('the schema check is real: a wrong field type fails', () => {
    const [pvc] = load('tools-pvc.yaml');
    assert.throws(() => validators['v1/PersistentVolumeClaim']!({ ...pvc!, spec: { accessModes: 'ReadWriteMany' } } as never));
  });

  test('namespace.yaml makes the default SPARK_NAMESPACE', () => {
    const [ns] = load('namespace.yaml');
    assert.equal(ns!.metadata.name, KEYS.SPARK_NAMESPACE.default());
  });

  test("secret.yaml.template is spark-cli-config with the seed's keys; the optional ones are known settings", () => {
    const [secret] = load('secret.yaml.template');
    assert.equal(secret!.metadata.name, CLI_CONFIG_SECRET);
    assert.equal(secret!.type, 'Opaque');
    const keys = Object.keys(secret!.stringData as Record<string, string>).sort();
    assert.deepEqual(keys, ['ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'POSTGRES_PASSWORD']);
    const text = readFileSync(join(DEPLOY, 'secret.yaml.template'), 'utf8');
    const optional = [...text.matchAll(/^\s*#\s*([A-Z_]+):\s*"/gm)].map((m) => m[1]!);
    assert.deepEqual(optional.sort(), ['POSTGRES_DB', 'POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'SPARK_DATABASE_HOST']);
    for (const key of [...keys, ...optional]) assert.ok(key in KEYS, `${key} is not a spark setting`);
    // The commented defaults are the real defaults.
    for (const key of ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_DB'] as const) {
      assert.match(text, new RegExp(`# ${key}: "${KEYS[key].default().replace(/\./g, '\\.')}"`));
    }
  });

  test('the tools Job fills the tools PVC at the path sparks mount it, with a sound script', () => {
    const [pvc] = load('tools-pvc.yaml');
    const [job] = load('tools-job.yaml') as Array<KubeDoc & { spec: { template: { spec: { containers: Array<{ args: string[]; volumeMounts: Array<{ name: string; mountPath: string }> }>; volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> } } } }>;
    const pod = job!.spec.template.spec;
    const volume = pod.volumes.find((v) => v.persistentVolumeClaim?.claimName === pvc!.metadata.name);
    assert.ok(volume, 'the Job mounts the tools PVC');
    assert.equal(pod.containers[0]!.volumeMounts.find((m) => m.name === volume.name)?.mountPath, TOOLS_MOUNT_PATH);
    const script = pod.containers[0]!.args[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'spark-tools-job-'));
    try {
      writeFileSync(join(dir, 'job.sh'), script);
      assert.equal(spawnSync('bash', ['-n', join(dir, 'job.sh')]).status, 0, 'bash -n');
      assert.ok(hasCommand('shellcheck'), 'shellcheck is not installed (Debian: apt-get install -y shellcheck)');
      const sc = spawnSync('shellcheck', ['--shell=bash', '--exclude=SC2016', join(dir, 'job.sh')], { encoding: 'utf8' });
      assert.equal(sc.status, 0, sc.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rbac.yaml and permissions.ts agree', () => {
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
  const triples = (rules: Rule[]) =>
    rules
      .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}${r.resourceNames ? `[${[...r.resourceNames].sort().join(',')}]` : ''}`))))
      .sort();
  const fromPermissions = (scope: 'namespace' | 'cluster') =>
    triples(
      SPARK_PERMISSIONS.filter((p) => p.scope === scope).map((p) => ({
        apiGroups: [p.group],
        resources: [p.resource],
        verbs: [...p.verbs],
        ...(p.resourceNames ? { resourceNames: [...p.resourceNames] } : {}),
      })),
    );
  const docs = () => load('rbac.yaml');
  const byKind = (kind: string) => docs().filter((d) => d.kind === kind);

  test('the Role grants exactly the namespaced permissions', () => {
    const [role] = byKind('Role');
    const granted = triples(role!.rules as Rule[]);
    assert.equal(new Set(granted).size, granted.length, 'no rule is granted twice');
    assert.deepEqual(granted, fromPermissions('namespace'));
  });

  test('the ClusterRole grants exactly the cluster-scoped ones', () => {
    const [clusterRole] = byKind('ClusterRole');
    assert.deepEqual(triples(clusterRole!.rules as Rule[]), fromPermissions('cluster'));
  });

  test('the ServiceAccount spark-cli is bound to both', () => {
    const [sa] = byKind('ServiceAccount');
    assert.equal(sa!.metadata.name, 'spark-cli');
    const subject = [{ kind: 'ServiceAccount', name: 'spark-cli', namespace: 'spark' }];
    const [rb] = byKind('RoleBinding') as Array<KubeDoc & { roleRef: { kind: string; name: string }; subjects: unknown }>;
    assert.deepEqual({ kind: rb!.roleRef.kind, name: rb!.roleRef.name }, { kind: 'Role', name: byKind('Role')[0]!.metadata.name });
    assert.deepEqual(rb!.subjects, subject);
    const [crb] = byKind('ClusterRoleBinding') as Array<KubeDoc & { roleRef: { kind: string; name: string }; subjects: unknown }>;
    assert.deepEqual({ kind: crb!.roleRef.kind, name: crb!.roleRef.name }, { kind: 'ClusterRole', name: byKind('ClusterRole')[0]!.metadata.name });
    assert.deepEqual(crb!.subjects, subject);
  });

  test('access checks for create --test split subresources and scope the namespace', () => {
    const checks = accessChecks('dev');
    assert.equal(checks.length, SPARK_PERMISSIONS.reduce((n, p) => n + p.verbs.length, 0));
    assert.deepEqual(
      checks.find((c) => c.resource === 'deployments' && c.subresource === 'scale' && c.verb === 'patch'),
      { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'patch', namespace: 'dev' },
    );
    assert.deepEqual(checks.find((c) => c.resource === 'namespaces'), { group: '', resource: 'namespaces', verb: 'get', name: 'dev' });
    assert.equal(describeAccess({ group: 'apps', resource: 'deployments', verb: 'patch' }), 'patch deployments.apps');
    assert.equal(describeAccess({ group: '', resource: 'pods', subresource: 'log', verb: 'get' }), 'get pods/log');
    assert.equal(ruleFor('', 'pods', 'log')?.verbs.join(), 'get');
    assert.equal(ruleFor('', 'nodes'), undefined);
  });
});

describe('load-env.sh', () => {
  let dir: string;
  let bin: string;
  const script = join(process.cwd(), DEPLOY, 'load-env.sh');
  const secrets = {
    POSTGRES_PASSWORD: `p@ss w0rd$\`"'\\x`,
    ANTHROPIC_API_KEY: 'sk-ant-api03-abcdefghijkl',
    GITHUB_TOKEN: 'github_pat_0123456789',
  };
  const plain = { POSTGRES_HOST: 'postgres.example.ts.net', POSTGRES_PORT: '5432' };
  const shells = ['bash', 'zsh'];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spark-load-env-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    mkdirSync(join(dir, 'secret'));
    for (const [k, v] of Object.entries({ ...secrets, ...plain })) writeFileSync(join(dir, 'secret', k), v);
    // The stand-in kubectl: logs its arguments; answers `get secret NAME -n NS -o TEMPLATE` from the
    // files in $STANDIN_SECRET_DIR by rendering TEMPLATE with the real kubectl (client-side, no cluster).
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/bin/bash
printf '%s\\n' "$*" >>"$STANDIN_LOG"
tmpl="" ns="" name=""
[[ "$1" == --context=* ]] && shift
[[ "$1 $2" == "get secret" ]] || { echo "stand-in kubectl: unexpected $*" >&2; exit 64; }
name="$3"; shift 3
while (($#)); do
  case "$1" in
    -o) tmpl="$2"; shift ;;
    -n) ns="$2"; shift ;;
  esac
  shift
done
if [[ ! -d "\${STANDIN_SECRET_DIR:-}" ]]; then
  echo "Error from server (NotFound): secrets \\"$name\\" not found" >&2
  exit 1
fi
args=()
for f in "$STANDIN_SECRET_DIR"/*; do args+=("--from-file=$(basename "$f")=$f"); done
exec /usr/bin/kubectl create secret generic "$name" -n "$ns" --dry-run=client "\${args[@]}" -o "$tmpl"
`,
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function source(shell: string, after: string, env: Record<string, string> = {}) {
    const log = join(dir, `kubectl-${shell}.log`);
    rmSync(log, { force: true });
    const r = spawnSync(shell, ['-c', `source "${script}"; rc=$?\n${after}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, KUBECONFIG: join(dir, 'no-kubeconfig'), STANDIN_LOG: log, STANDIN_SECRET_DIR: join(dir, 'secret'), ...env },
    });
    return { ...r, log: existsSync(log) ? readFileSync(log, 'utf8') : '' };
  }

  test('is shellcheck-clean', () => {
    assert.ok(hasCommand('shellcheck'), 'shellcheck is not installed (Debian: apt-get install -y shellcheck)');
    const r = spawnSync('shellcheck', [script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
  });

  test('the stand-in kubectl renders through the real kubectl', { skip: existsSync('/usr/bin/kubectl') ? false : 'no /usr/bin/kubectl' }, () => {
    const r = source('bash', 'echo "rc=$rc"');
    assert.match(r.stdout, /rc=0/, r.stderr);
    assert.match(r.log, /^get secret spark-cli-config -n spark -o go-template=/m);
  });

  for (const shell of shells) {
    const skip = !existsSync('/usr/bin/kubectl') ? 'no /usr/bin/kubectl' : hasCommand(shell) ? false : `${shell} is not installed (Debian: apt-get install -y ${shell})`;

    test(`${shell}: exports every value exactly and prints secrets masked`, { skip }, () => {
      const names = Object.keys({ ...secrets, ...plain });
      const r = source(shell, `echo "rc=$rc"; for k in ${names.join(' ')}; do printf '%s=[%s]\\n' "$k" "$(printenv "$k")"; done`);
      const [printed, exported] = r.stdout.split(/^rc=0$/m);
      assert.ok(exported !== undefined, `load-env failed: ${r.stdout}${r.stderr}`);
      for (const [k, v] of Object.entries({ ...secrets, ...plain })) assert.ok(exported.includes(`${k}=[${v}]\n`), `${k} exported as ${v}`);
      // What the user sees: plain settings in clear, secrets masked; no secret anywhere in the output.
      assert.match(printed!, /POSTGRES_HOST=postgres\.example\.ts\.net/);
      assert.match(printed!, /POSTGRES_PASSWORD=\*+ \(\d+ characters\)/);
      assert.match(printed!, /ANTHROPIC_API_KEY=\*+/);
      assert.match(printed!, /GITHUB_TOKEN=\*+/);
      for (const v of Object.values(secrets)) {
        assert.ok(!printed!.includes(v) && !r.stderr.includes(v), 'a secret was printed');
        assert.ok(!printed!.includes(v.slice(0, 8)), 'part of a secret was printed');
      }
    });

    test(`${shell}: a missing secret fails clearly and exports nothing`, { skip }, () => {
      const r = source(shell, 'echo "rc=$rc"; printf "pw=[%s]\\n" "${POSTGRES_PASSWORD:-}"', { STANDIN_SECRET_DIR: join(dir, 'absent') });
      assert.match(r.stdout, /rc=1/);
      assert.match(r.stdout, /pw=\[\]/);
      assert.match(r.stderr, /Secret spark-cli-config was not found in namespace spark/);
      assert.match(r.stderr, /secret\.yaml\.template/);
    });

    test(`${shell}: SPARK_NAMESPACE and SPARK_CONTEXT choose where to read`, { skip }, () => {
      const r = source(shell, 'echo "rc=$rc"', { SPARK_NAMESPACE: 'dev', SPARK_CONTEXT: 'homelab' });
      assert.match(r.stdout, /rc=0/);
      assert.match(r.log, /^--context=homelab get secret spark-cli-config -n dev /m);
    });

    test(`${shell}: run instead of sourced, it says how to use it`, { skip }, () => {
      const r = spawnSync(shell, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir } });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /source .*load-env\.sh/);
    });
  }

  test('without kubectl it says so', () => {
    const r = spawnSync('/bin/bash', ['-c', `source "${script}"; echo "rc=$?"`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: join(dir, 'empty'), HOME: dir } });
    assert.match(r.stdout, /rc=1/);
    assert.match(r.stderr, /kubectl is not installed/);
  });
});
