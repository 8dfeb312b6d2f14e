/**
 * Just enough of the Kubernetes protobuf encoding to read the bodies kubectl's typed clients send
 * that way: SelfSubjectAccessReview (`kubectl auth can-i`) and the Namespace, ConfigMap and Secret
 * of `kubectl create namespace|configmap|secret generic`. Answers are always JSON, which every
 * client accepts.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Fields = Map<number, (Buffer | bigint)[]>;

function varint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated protobuf varint');
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = varint(buf, pos);
    pos = next;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value: Buffer | bigint;
    if (wire === 0) [value, pos] = varint(buf, pos);
    else if (wire === 2) {
      const [len, start] = varint(buf, pos);
      value = buf.subarray(start, start + Number(len));
      pos = start + Number(len);
    } else if (wire === 1) [value, pos] = [buf.readBigUInt64LE(pos), pos + 8];
    else if (wire === 5) [value, pos] = [BigInt(buf.readUInt32LE(pos)), pos + 4];
    else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const bytes = (f: Fields, n: number): Buffer | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v : undefined;
};
const str = (f: Fields, n: number): string | undefined => bytes(f, n)?.toString('utf8');

export function isProtobuf(body: Buffer): boolean {
  return body.subarray(0, 4).equals(MAGIC);
}

/** The kind inside a protobuf envelope and its raw message. */
function unwrap(body: Buffer): { apiVersion?: string; kind?: string; raw: Buffer } {
  const envelope = fields(body.subarray(4));
  const typeMeta = fields(bytes(envelope, 1) ?? Buffer.alloc(0));
  return { apiVersion: str(typeMeta, 1), kind: str(typeMeta, 2), raw: bytes(envelope, 2) ?? Buffer.alloc(0) };
}

const all = (f: Fields, n: number): Buffer[] => (f.get(n) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v));

/** A `map<string, string|bytes>` field (repeated key=1/value=2 entries). */
function map(f: Fields, n: number, encoding: 'utf8' | 'base64'): Record<string, string> | undefined {
  const entries = all(f, n).map((e) => {
    const kv = fields(e);
    return [str(kv, 1) ?? '', (bytes(kv, 2) ?? Buffer.alloc(0)).toString(encoding)] as const;
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The ObjectMeta fields a client sets on create. */
function objectMeta(buf: Buffer | undefined): Record<string, unknown> {
  const f = fields(buf ?? Buffer.alloc(0));
  const meta: Record<string, unknown> = {
    name: str(f, 1),
    generateName: str(f, 2),
    namespace: str(f, 3),
    labels: map(f, 11, 'utf8'),
    annotations: map(f, 12, 'utf8'),
    finalizers: all(f, 14).length ? all(f, 14).map((b) => b.toString('utf8')) : undefined,
  };
  return Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined && v !== ''));
}

/** A protobuf Namespace, ConfigMap or Secret as its JSON form (undefined for other kinds). */
export function decodeObject(body: Buffer): Record<string, unknown> | undefined {
  const { apiVersion, kind, raw } = unwrap(body);
  const f = fields(raw);
  const metadata = objectMeta(bytes(f, 1));
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  switch (kind) {
    case 'Namespace':
      return { apiVersion, kind, metadata };
    case 'ConfigMap':
      return defined({ apiVersion, kind, metadata, data: map(f, 2, 'utf8'), binaryData: map(f, 3, 'base64') });
    case 'Secret':
      return defined({ apiVersion, kind, metadata, data: map(f, 2, 'base64'), type: str(f, 3), stringData: map(f, 4, 'utf8') });
    default:
      return undefined;
  }
}

/** A protobuf SelfSubjectAccessReview as its JSON form. */
export function decodeAccessReview(body: Buffer): Record<string, unknown> | undefined {
  const { kind, raw } = unwrap(body);
  if (kind !== 'SelfSubjectAccessReview') return undefined;
  const spec = fields(bytes(fields(raw), 2) ?? Buffer.alloc(0));
  const out: Record<string, unknown> = {};
  const ra = bytes(spec, 1);
  if (ra) {
    const f = fields(ra);
    const names = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
    out.resourceAttributes = Object.fromEntries(names.map((n, i) => [n, str(f, i + 1)]).filter(([, v]) => v !== undefined));
  }
  const nra = bytes(spec, 2);
  if (nra) {
    const f = fields(nra);
    out.nonResourceAttributes = { path: str(f, 1), verb: str(f, 2) };
  }
  return { apiVersion: 'authorization.k8s.io/v1', kind, spec: out };
}
