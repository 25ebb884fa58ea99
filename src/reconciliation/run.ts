import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { ReconciliationRun } from '../db/schema.js';
import type { Integration, WorkerContext } from '../integrations/types.js';
import { AppError, errorMessage, sqlState } from '../lib/errors.js';
import { type CoreReport, coreChecks } from './checks.js';
import { openFindings, type Repairs, repair, settleCleared } from './followup.js';

export const RECONCILE_JOB = 'reconcile';

export interface ReconcileWindow {
  since: Date;
  until: Date;
}

export interface ReconciliationReport extends Partial<CoreReport> {
  /** Each integration's own reconciliation (e.g. recovering missed marketplace orders). */
  integrations: Record<string, unknown>;
  /** The safe repairs the run made. */
  repairs?: Repairs;
  /** Interventions the run opened or refreshed, and those it resolved because their cause was gone. */
  interventions?: { opened: number; settled: number };
}

/** Another run holds the one-run rule: this one did not start. */
export class ReconciliationBusyError extends AppError {
  constructor(readonly runningId: string) {
    super('conflict', `reconciliation run ${runningId} is still running`, { details: { runningId } });
    this.name = 'ReconciliationBusyError';
  }
}

export interface RunOptions {
  trigger: 'schedule' | 'manual' | 'cli';
  window: ReconcileWindow;
}

/**
 * Records the run as `running`, the one-run rule holding: a unique index admits one running row, across
 * processes. A running row older than RECONCILE_RUN_TIMEOUT_MS belonged to a process that died; it is marked
 * failed and this run takes its place. Anything else running is a ReconciliationBusyError.
 */
async function startRun(ctx: WorkerContext, options: RunOptions): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const run = await ctx.db
        .insertInto('reconciliation_runs')
        .values({
          trigger: options.trigger,
          window_start: options.window.since,
          window_end: options.window.until,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return run.id;
    } catch (err) {
      if (sqlState(err) !== '23505') throw err;
      const running = await ctx.db
        .selectFrom('reconciliation_runs')
        .select([
          'id',
          sql<boolean>`started_at < now() - make_interval(secs => ${ctx.config.RECONCILE_RUN_TIMEOUT_MS / 1000})`.as(
            'stale',
          ),
        ])
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (!running) {
        if (attempt < 2) continue;
        throw err;
      }
      if (!running.stale || attempt >= 2) throw new ReconciliationBusyError(running.id);
      await ctx.db
        .updateTable('reconciliation_runs')
        .set({
          status: 'failed',
          error: 'abandoned: still running past RECONCILE_RUN_TIMEOUT_MS',
          finished_at: sql`now()`,
        })
        .where('id', '=', running.id)
        .where('status', '=', 'running')
        .execute();
      ctx.logger.warn({ runId: running.id }, 'took over an abandoned reconciliation run');
    }
  }
}

/**
 * One reconciliation run: recorded in `reconciliation_runs` with its window and report. Integrations first,
 * then the checks (one read-only snapshot), the safe repairs, and an intervention for every finding left.
 * An integration whose reconciliation fails does not stop the others; its error is in the report and the run
 * is `failed`. Throws ReconciliationBusyError when another run is in progress (it started nothing).
 */
export async function runReconciliation(
  ctx: WorkerContext,
  integrations: readonly Integration[],
  options: RunOptions,
): Promise<ReconciliationRun> {
  const run = { id: await startRun(ctx, options) };
  const integrationReports: Record<string, unknown> = {};
  const failures: string[] = [];
  let core: CoreReport | undefined;
  let repairs: Repairs | undefined;
  let interventions: ReconciliationReport['interventions'];
  try {
    for (const integration of integrations) {
      if (!integration.reconcile) continue;
      try {
        const report = await integration.reconcile(ctx, options.window);
        integrationReports[integration.source] = report;
        if (Array.isArray(report.failures)) {
          for (const failure of report.failures) failures.push(`${integration.source}: ${String(failure)}`);
        }
      } catch (err) {
        failures.push(`${integration.source}: ${errorMessage(err)}`);
        integrationReports[integration.source] = { error: errorMessage(err) };
      }
    }
    // After the integrations, so orders they recovered are counted in their final state.
    core = await coreChecks(ctx.db, ctx.config, integrations);
    repairs = await repair(ctx, integrations, core);
    for (const failure of repairs.failures) failures.push(`repair ${failure}`);
    const opened = await openFindings(ctx, integrations, core, repairs);
    interventions = { opened, settled: await settleCleared(ctx, core) };
  } catch (err) {
    failures.push(`core: ${errorMessage(err)}`);
  }
  const report: ReconciliationReport = {
    ...(core ?? {}),
    integrations: integrationReports,
    ...(repairs ? { repairs } : {}),
    ...(interventions ? { interventions } : {}),
  };
  const finished = await ctx.db
    .updateTable('reconciliation_runs')
    .set({
      status: failures.length ? 'failed' : 'succeeded',
      report: { ...report },
      error: failures.length ? failures.join('; ') : null,
      finished_at: sql`now()`,
    })
    .where('id', '=', run.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  ctx.logger.info({ runId: run.id, status: finished.status }, 'reconciliation run finished');
  return finished;
}

/** The window a scheduled run covers: from the last successful run's end (with overlap), else `windowMs` back. */
export async function nextWindow(db: Db, windowMs: number, now = new Date()): Promise<ReconcileWindow> {
  const last = await db
    .selectFrom('reconciliation_runs')
    .select('window_end')
    .where('status', '=', 'succeeded')
    .orderBy('window_end', 'desc')
    .limit(1)
    .executeTakeFirst();
  const overlapMs = 5 * 60_000;
  const fallback = now.getTime() - windowMs;
  const since = last ? Math.max(fallback, last.window_end.getTime() - overlapMs) : fallback;
  return { since: new Date(since), until: now };
}
