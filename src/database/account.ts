/**
 * The spark role itself, as rotation and repair need it (the RoleAccount port): it sets its own new
 * password — as a SCRAM verifier, so the clear text never reaches the server log — lists the spark
 * databases that use it, and tries sparks' logins.
 */
import type { LoginResult, RoleAccount } from '../core/ports.js';
import { registerSecret } from '../redact.js';
import { queryError } from './errors.js';
import { inTransaction } from './plan.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { scramVerifier } from './scram.js';
import type { DatabaseSettings } from './settings.js';
import { openSparkDatabases, type SparkDatabases } from './sparks.js';

export class SparkRoleAccount implements RoleAccount {
  constructor(private readonly databases: SparkDatabases) {}

  get role(): string {
    return this.databases.settings.user;
  }

  async verify(): Promise<void> {
    await this.databases.connection();
  }

  async sharedDatabases(): Promise<string[]> {
    // Sparks with their own role (isolation mode) do not use the spark role's password; shared ones are the role's own.
    return (await this.databases.list()).filter((d) => !d.tag?.role && d.owner === this.role).map((d) => d.name);
  }

  async setPassword(password: string, beforeCommit?: () => Promise<void>): Promise<void> {
    registerSecret(password);
    const sql = `ALTER ROLE ${quoteIdent(this.role)} WITH PASSWORD ${quoteLiteral(scramVerifier(password))}`;
    await this.databases.exclusive(async (client) => {
      const alter = () =>
        client.query(sql).catch((error: unknown) => {
          throw queryError(error, { operation: 'rotate', role: this.role });
        });
      if (!beforeCommit) return alter();
      return inTransaction(client, async () => {
        await alter();
        await beforeCommit();
      });
    });
  }

  login(databaseUrl: string): Promise<LoginResult> {
    return this.databases.login(databaseUrl);
  }

  close(): Promise<void> {
    return this.databases.close();
  }
}

export function openRoleAccount(settings: DatabaseSettings): SparkRoleAccount {
  return new SparkRoleAccount(openSparkDatabases(settings));
}
