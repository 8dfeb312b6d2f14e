/**
 * What a spark reports of its use, read from its container log: the init script's reporter writes
 * a `spark-activity {json}` line when sessions or the project's git state change, and at least every
 * ACTIVITY_HEARTBEAT_SECONDS (see init-script.ts and docs/decisions.md for why the log).
 */
import type { ActivityCapability, SparkActivity } from '../../core/ports.js';
import type { KubeClient } from './client.js';
import { CONTAINER_NAME } from './labels.js';
import { currentPodOf, readPodLog } from './logs.js';

export const ACTIVITY_PREFIX = 'spark-activity ';
/** The reporter writes a line at least this often (the init script's SPARK_ACTIVITY_HEARTBEAT). */
export const ACTIVITY_HEARTBEAT_SECONDS = 300;
/** How far back the reader looks: two heartbeats and a margin, so one late line is no gap. */
const LOOKBACK_SECONDS = 2 * ACTIVITY_HEARTBEAT_SECONDS + 60;
/** The end of the window is what counts: a log chattier than this many lines is read from there. */
const TAIL_LINES = 5000;

const isoOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined);

/** One reporter line → the report; undefined for any other line, or one that is not well-formed. */
export function parseActivityLine(line: string): SparkActivity | undefined {
  if (!line.startsWith(ACTIVITY_PREFIX)) return undefined;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(line.slice(ACTIVITY_PREFIX.length)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const reportedAt = isoOrUndefined(data.reportedAt);
  const open = data.openSessions;
  if (!reportedAt || typeof open !== 'number' || !Number.isInteger(open) || open < 0) return undefined;
  const report: SparkActivity = { openSessions: open, reportedAt };
  const last = isoOrUndefined(data.lastSessionAt);
  if (last) report.lastSessionAt = last;
  if (typeof data.unsavedWork === 'boolean') report.unsavedWork = data.unsavedWork;
  if (typeof data.unsavedDetail === 'string' && data.unsavedDetail) report.unsavedDetail = data.unsavedDetail.slice(0, 300);
  return report;
}

/** The newest well-formed report in a stretch of log text. */
export function latestActivity(text: string): SparkActivity | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const report = parseActivityLine(lines[i]!.replace(/\r$/, ''));
    if (report) return report;
  }
  return undefined;
}

export function kubernetesActivity(client: () => KubeClient): ActivityCapability {
  return {
    async activity(name) {
      const c = client();
      const pod = await currentPodOf(c, name);
      const running = pod && !pod.metadata?.deletionTimestamp && pod.status?.containerStatuses?.find((s) => s.name === CONTAINER_NAME)?.state?.running;
      if (!pod?.metadata?.name || !running) return undefined;
      let text = '';
      await readPodLog(c, pod.metadata.name, { sinceSeconds: LOOKBACK_SECONDS, tailLines: TAIL_LINES }, (chunk) => {
        text += chunk;
      });
      return latestActivity(text);
    },
  };
}
