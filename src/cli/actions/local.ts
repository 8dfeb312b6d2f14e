import { embeddedStatus, stopEmbedded } from '../../runtimes/local/index.js';
import type { Context } from '../context.js';

export async function localStatusCommand(ctx: Context): Promise<void> {
  const config = await ctx.config();
  const status = await embeddedStatus(config.require('SPARK_DATA_DIR'));
  ctx.ui.result(status, () =>
    [
      `embedded PostgreSQL  ${status.running ? ctx.ui.green('running') : status.initialised ? 'stopped' : 'not initialised'}`,
      status.running ? `address              127.0.0.1:${status.port} (pid ${status.pid})` : '',
      status.version ? `version              ${status.version}` : '',
      `data directory       ${status.dataDir}`,
    ].filter(Boolean).join('\n'),
  );
}

export async function localStopCommand(ctx: Context): Promise<void> {
  const config = await ctx.config();
  const stopped = await stopEmbedded(config.require('SPARK_DATA_DIR'));
  ctx.ui.result({ stopped }, () => (stopped ? 'Stopped the embedded PostgreSQL server.' : 'The embedded PostgreSQL server was not running.'));
}
