import type { DatabaseProvisioner, Runtime, RuntimeKind } from './ports.js';

/** Where sparks of one kind live: the runtime and the PostgreSQL server their databases are on. */
export interface Backend {
  kind: RuntimeKind;
  runtime: Runtime;
  databases: DatabaseProvisioner;
  close(): Promise<void>;
}
