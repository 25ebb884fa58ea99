import type { ReconciliationRun } from '../db/schema.js';

/** A run as a few lines for a terminal or a cron mail: status, window, every non-empty finding, repairs. */
export function summarize(run: ReconciliationRun): string {
  const lines = [
    `reconciliation run ${run.id} ${run.status} (${run.trigger}, ${run.window_start.toISOString()} → ${run.window_end.toISOString()})`,
  ];
  const report = run.report;
  const findings: string[] = [];
  for (const [name, value] of Object.entries(report)) {
    if (isFinding(value) && value.count > 0) findings.push(`${name} ${value.count}`);
  }
  const channels = (report.channels ?? {}) as Record<string, Record<string, unknown>>;
  for (const [channel, checks] of Object.entries(channels)) {
    for (const [name, value] of Object.entries(checks)) {
      if (isFinding(value) && value.count > 0) findings.push(`${channel}.${name} ${value.count}`);
    }
  }
  lines.push(`findings: ${findings.length ? findings.join(', ') : 'none'}`);
  const repairs = report.repairs as
    | {
        inboxRequeued: number;
        outboxResent: number;
        reservationsReleased: string[];
        channels: Record<string, string[]>;
      }
    | undefined;
  if (repairs) {
    const channelRepairs = Object.entries(repairs.channels).map(([k, ids]) => `${k} ${ids.length}`);
    lines.push(
      `repairs: inbox jobs re-enqueued ${repairs.inboxRequeued}, outbox messages re-sent ${repairs.outboxResent}, ` +
        `reservations released ${repairs.reservationsReleased.length}${channelRepairs.length ? `, ${channelRepairs.join(', ')}` : ''}`,
    );
  }
  const interventions = report.interventions as { opened: number; settled: number } | undefined;
  if (interventions)
    lines.push(
      `interventions: ${interventions.opened} opened or refreshed, ${interventions.settled} settled`,
    );
  if (run.error) lines.push(`error: ${run.error}`);
  return `${lines.join('\n')}\n`;
}

function isFinding(value: unknown): value is { count: number } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { count?: unknown }).count === 'number'
  );
}
