/**
 * The database layer's public face. The lifecycle code calls `openSparkDatabases(settingsFromConfig(config))`;
 * `spark admin` calls setupDatabase / openRoleAccount. Nothing here loads `pg` until it connects.
 */
export { databaseChecks, dropSelftestLeftovers, listSelftestLeftovers, MIGRATION_STEPS, SELFTEST_PREFIX } from './checks.js';
export { connect, targetFromUrl, type ConnectionTarget } from './connect.js';
export { CONNECTION_CHECKLIST, connectionError, errorCode, queryError } from './errors.js';
export { executePlan, renderPlan, type SqlStep } from './plan.js';
export { quoteIdent, quoteLiteral } from './quote.js';
export { openRoleAccount, SparkRoleAccount } from './account.js';
export { generatePassword, scramVerifier, verifierMatches } from './scram.js';
export { databaseUrl, settingsFromConfig, type DatabaseSettings, type SslMode } from './settings.js';
export { planSetup, setupDatabase, type SetupOptions, type SetupResult } from './setup.js';
export { openSparkDatabases, parseTag, planCreate, sparkRoleName, SparkDatabases, type SparkDatabaseInfo, type SparkTag } from './sparks.js';
