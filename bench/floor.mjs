// The floor: what `spark list --json` must do at the least, in plain Node — read the kubeconfig
// (a token or a client certificate), GET the spark Deployments and log in to PostgreSQL and query,
// both at once, then exit. No spark code; only node: and pg. A single-context kubeconfig is read
// by its first fields, which is all a floor needs. Config: $KUBECONFIG and $SPARK_CONFIG (JSON).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import pg from 'pg';

const kube = readFileSync(process.env.KUBECONFIG, 'utf8');
const field = (key) => new RegExp(`^\\s*${key}:\\s*(\\S+)`, 'm').exec(kube)?.[1];
const bytes = (key) => (field(`${key}-data`) ? Buffer.from(field(`${key}-data`), 'base64') : field(key) && readFileSync(field(key)));
const config = JSON.parse(readFileSync(process.env.SPARK_CONFIG, 'utf8'));
const url = `${field('server')}/apis/apps/v1/namespaces/${config.SPARK_NAMESPACE ?? 'spark'}/deployments?labelSelector=app%3Dspark`;
const headers = field('token') ? { authorization: `Bearer ${field('token')}` } : {};
const deployments = new Promise((resolve, reject) => {
  const tls = { ca: bytes('certificate-authority'), cert: bytes('client-certificate'), key: bytes('client-key'), headers };
  request(url, tls, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c)).on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`GET deployments: HTTP ${res.statusCode}`))));
  }).on('error', reject).end();
});
const client = new pg.Client({ host: config.POSTGRES_HOST, port: Number(config.POSTGRES_PORT), user: config.POSTGRES_USER, password: config.POSTGRES_PASSWORD, database: config.POSTGRES_DB });
const databases = client.connect().then(() => client.query('SELECT datname FROM pg_database WHERE NOT datistemplate')).finally(() => client.end());
const [list, rows] = await Promise.all([deployments, databases]);
process.stdout.write(`${JSON.stringify({ deployments: list.items.length, databases: rows.rows.length })}\n`);
