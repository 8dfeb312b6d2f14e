import type { SparkError } from '../errors.js';
import type { DatabaseProvisioner, Runtime, RuntimeKind, SparkCredentials } from './ports.js';

/** Where sparks of one kind live: the runtime and the PostgreSQL server their databases are on. */
export interface Backend {
  kind: RuntimeKind;
  runtime: Runtime;
  databases: DatabaseProvisioner;
  /** Where sparks keep their DATABASE_URL, when the runtime can rewrite it (Kubernetes). */
  credentials?: SparkCredentials;
  close(): Promise<void>;
}

/**
 * The database layer when it cannot even be opened (no POSTGRES_PASSWORD): every use fails with
 * the reason and its fix, so list, status and doctor still show what the runtime knows.
 */
export function unavailableDatabases(reason: SparkError): DatabaseProvisioner {
  const fail = (): Promise<never> => Promise.reject(reason);
  return {
    plan: fail,
    create: fail,
    drop: fail,
    list: fail,
    get: fail,
    checks: async () => [{ id: 'db-connection', title: 'Connect to PostgreSQL', status: 'fail', blocking: true, detail: reason.message, fix: reason.hint }],
    close: async () => {},
  };
}
