import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database, ReconciliationRun } from '../db/schema.js';
import type { Integration, WorkerContext } from '../integrations/types.js';
import { errorMessage } from '../lib/errors.js';

export const RECONCILE_JOB = 'reconcile';
const SAMPLE = 20;

export interface ReconcileWindow {
  since: Date;
  until: Date;
}

/** A finding: how many rows are in the state, and a sample of their ids for the operator to open. */
export interface Finding {
  count: number;
  sample: string[];
}

export interface ReconciliationReport {
  /** Inbox events older than the sweep grace period that are still unfinished. */
  stuckEvents: Finding;
  deadEvents: Finding;
  attentionEvents: Finding;
  /** Outbox messages the relay has not moved for over a minute. */
  unrelayedOutbox: Finding;
  /** Outbox messages given up on (the provider never got them): replay with POST /admin/outbox/:id/replay. */
  deadOutbox: Finding;
  /** Orders flagged for attention (failed provider call, rule conflict). */
  attentionOrders: Finding;
  /** Orders still `pending` a day after creation. */
  stalePendingOrders: Finding;
  /** Payment vs status: cancelled orders whose money was taken and not (fully) given back. */
  cancelledButPaid: Finding;
  /** Inventory: reservations still open on orders that can no longer ship. */
  openReservationsOnFinishedOrders: Finding;
  /** Each integration's own reconciliation (e.g. recovering missed marketplace orders). */
  integrations: Record<string, unknown>;
}

async function finding(
  rows: () => Promise<{ id: string }[]>,
  count: () => Promise<{ n: number }>,
): Promise<Finding> {
  const list = await rows();
  const total = await count();
  return { count: Number(total.n), sample: list.map((r) => r.id) };
}

/**
 * The core reconciliation checks: stuck work, payment consistency, inventory consumption.
 * A run is background work, so it takes one core at most: its statements run one at a time, in one read-only
 * snapshot (a count and its sample agree), without parallel workers. Side by side, its twelve statements
 * took both cores from the order path for half a second every quarter hour (a push → commit p99 of ~0.6 s
 * at 500/s in that second; docs/benchmarks.md, 2026-12-04).
 */
export function coreChecks(
  db: Db,
  config: { SWEEP_AFTER_MS: number },
): Promise<Omit<ReconciliationReport, 'integrations'>> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
      return checksIn(trx, config);
    });
}

async function checksIn(
  db: Transaction<Database>,
  config: { SWEEP_AFTER_MS: number },
): Promise<Omit<ReconciliationReport, 'integrations'>> {
  const inbox = () => db.selectFrom('inbound_events');
  const orders = () => db.selectFrom('orders');
  const events = (where: (q: ReturnType<typeof inbox>) => ReturnType<typeof inbox>) =>
    finding(
      () => where(inbox()).select('id').orderBy('received_at').limit(SAMPLE).execute(),
      () => where(inbox()).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    );
  const orderFinding = (where: (q: ReturnType<typeof orders>) => ReturnType<typeof orders>) =>
    finding(
      () => where(orders()).select('id').orderBy('created_at').limit(SAMPLE).execute(),
      () => where(orders()).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    );
  const graceSeconds = config.SWEEP_AFTER_MS / 1000;

  const stuckEvents = await events((q) =>
    q
      .where('status', 'in', ['received', 'failed'])
      .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`),
  );
  const deadEvents = await events((q) => q.where('status', '=', 'dead'));
  const attentionEvents = await events((q) => q.where('status', '=', 'attention'));
  const attentionOrders = await orderFinding((q) => q.where('attention_reason', 'is not', null));
  const stalePendingOrders = await orderFinding((q) =>
    q.where('status', '=', 'pending').where('created_at', '<', sql<Date>`now() - interval '1 day'`),
  );
  // Constants in the text, not parameters: the predicate of its partial index (orders_cancelled_unrefunded),
  // which a generic plan could not match against parameters.
  const cancelledButPaid = await orderFinding((q) =>
    q.where(
      sql<boolean>`status = 'cancelled' and payment_status in ('paid', 'partially_refunded') and refunded_total < total`,
    ),
  );
  const outbox = () => db.selectFrom('outbox');
  const outboxFinding = (where: (q: ReturnType<typeof outbox>) => ReturnType<typeof outbox>) =>
    finding(
      () => where(outbox()).select(sql<string>`id::text`.as('id')).orderBy('id').limit(SAMPLE).execute(),
      () => where(outbox()).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    );
  const unrelayedOutbox = await outboxFinding((q) =>
    q.where('status', '=', 'pending').where('created_at', '<', sql<Date>`now() - interval '1 minute'`),
  );
  const deadOutbox = await outboxFinding((q) => q.where('status', '=', 'dead'));
  // Both sides are large (every open order's reservations, every order ever cancelled) and their meeting is
  // empty in a healthy shop: the matches are found once, by a hash join, and counted and sampled from there.
  // (A sample with its own LIMIT let the planner walk every cancelled order looking for early matches: 3 s
  // at 1,000,000 orders, docs/benchmarks.md.)
  const open = await sql<{ n: number; sample: string[] | null }>`
    with matches as materialized (
      select distinct o.id from stock_reservations r join orders o on o.id = r.order_id
      where r.status = 'reserved' and o.status in ('cancelled', 'refunded'))
    select (select count(*)::int from matches) as n,
      (select array_agg(id::text) from (select id from matches order by id limit ${SAMPLE}) s) as sample`.execute(
    db,
  );
  const openReservations = { count: Number(open.rows[0]?.n ?? 0), sample: open.rows[0]?.sample ?? [] };
  return {
    stuckEvents,
    deadEvents,
    attentionEvents,
    unrelayedOutbox,
    deadOutbox,
    attentionOrders,
    stalePendingOrders,
    cancelledButPaid,
    openReservationsOnFinishedOrders: openReservations,
  };
}

export interface RunOptions {
  trigger: 'schedule' | 'manual';
  window: ReconcileWindow;
}

/**
 * One reconciliation run: recorded in `reconciliation_runs` with its window and report. An integration whose
 * reconciliation fails does not stop the others; its error is in the report and the run is `failed`.
 */
export async function runReconciliation(
  ctx: WorkerContext,
  integrations: readonly Integration[],
  options: RunOptions,
): Promise<ReconciliationRun> {
  const run = await ctx.db
    .insertInto('reconciliation_runs')
    .values({
      trigger: options.trigger,
      window_start: options.window.since,
      window_end: options.window.until,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const integrationReports: Record<string, unknown> = {};
  const failures: string[] = [];
  let core: Omit<ReconciliationReport, 'integrations'> | undefined;
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
    core = await coreChecks(ctx.db, ctx.config);
  } catch (err) {
    failures.push(`core: ${errorMessage(err)}`);
  }
  const report = { ...(core ?? {}), integrations: integrationReports };
  const finished = await ctx.db
    .updateTable('reconciliation_runs')
    .set({
      status: failures.length ? 'failed' : 'succeeded',
      report,
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
