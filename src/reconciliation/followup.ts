import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { openEventIntervention } from '../inbox/interventions.js';
import { findInboundEvents } from '../inbox/repository.js';
import { sweepInbox } from '../inbox/sweeper.js';
import type { Integration, WorkerContext } from '../integrations/types.js';
import { errorMessage } from '../lib/errors.js';
import {
  causeKeys,
  FINDING_CAUSE_PREFIX,
  type InterventionSource,
  openIntervention,
  resolveIntervention,
} from '../orders/interventions.js';
import { findOrderById, getOrderForUpdate, withOrderLock } from '../orders/locks.js';
import { releaseStock } from '../orders/stock.js';
import { addTimelineEvent } from '../orders/timeline.js';
import { sweepOutbox } from '../outbox/sweeper.js';
import { type CoreReport, type Finding, type OrderFindingName, SAMPLE } from './checks.js';

const ACTOR = 'reconciliation';

/** The safe repairs a run made, recorded in its report. */
export interface Repairs {
  /** Inbox events whose job was lost, enqueued again. */
  inboxRequeued: number;
  /** Outbox messages whose outbound job was lost, sent to the provider again. */
  outboxResent: number;
  /** Orders that could no longer ship whose reserved stock was released. */
  reservationsReleased: string[];
  /** Channel checks' own repairs, by `channel.check`. */
  channels: Record<string, string[]>;
  failures: string[];
}

const findingText: Record<OrderFindingName, { source: InterventionSource; summary: string }> = {
  stuckOrders: { source: 'reconciliation', summary: 'order stuck in its state past its channel threshold' },
  cancelledButPaid: { source: 'payment_mismatch', summary: 'cancelled order whose payment was kept' },
  paidNotConfirmed: { source: 'payment_mismatch', summary: 'paid order still not confirmed' },
  amountMismatches: {
    source: 'payment_mismatch',
    summary: "refunds that do not add up to the order's total",
  },
  shippedWithoutShipment: { source: 'reconciliation', summary: 'shipped order without a shipment record' },
  deliveredWithoutDate: { source: 'reconciliation', summary: 'delivered order without a delivery date' },
};

/**
 * Safe repairs, recorded in the run: re-enqueue inbox and outbound jobs Redis lost (the sweepers' own check,
 * run now), release stock still reserved for orders that can no longer ship, and each channel check's repair.
 * Each repair stands on its own: one that fails is named in `failures` and the others still run.
 */
export async function repair(
  ctx: WorkerContext,
  integrations: readonly Integration[],
  report: CoreReport,
): Promise<Repairs> {
  const repairs: Repairs = {
    inboxRequeued: 0,
    outboxResent: 0,
    reservationsReleased: [],
    channels: {},
    failures: [],
  };
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      repairs.failures.push(`${what}: ${errorMessage(err)}`);
    }
  };
  const grace = ctx.config.SWEEP_AFTER_MS;
  await attempt('inbox jobs', async () => {
    repairs.inboxRequeued = (await sweepInbox(ctx.db, ctx.queues.inbox, ctx.logger, grace)).requeued;
  });
  await attempt('outbound jobs', async () => {
    repairs.outboxResent = (await sweepOutbox(ctx.db, ctx.queues, ctx.logger, grace)).requeued;
  });
  for (const orderId of report.openReservationsOnFinishedOrders.sample) {
    await attempt(`reservations of ${orderId}`, async () => {
      if (await releaseFinishedOrderStock(ctx, orderId)) repairs.reservationsReleased.push(orderId);
    });
  }
  for (const integration of integrations) {
    for (const [name, check] of Object.entries(integration.reconciliation?.checks ?? {})) {
      const found = report.channels[integration.source]?.[name];
      const { repair: fix } = check;
      if (!fix || !found?.sample.length) continue;
      await attempt(`${integration.source}.${name}`, async () => {
        repairs.channels[`${integration.source}.${name}`] = await fix(ctx, found.sample);
      });
    }
  }
  return repairs;
}

/** Releases an order's reserved stock under its lock, only if it is (still) cancelled or refunded. */
async function releaseFinishedOrderStock(ctx: WorkerContext, orderId: string): Promise<boolean> {
  const found = await findOrderById(ctx.db, orderId);
  if (!found) return false;
  return withOrderLock(ctx.db, found.channel, found.external_order_id, async (trx) => {
    const order = await getOrderForUpdate(trx, orderId);
    if (order.status !== 'cancelled' && order.status !== 'refunded') return false;
    const released = await releaseStock(trx, orderId);
    if (released === 0) return false;
    await addTimelineEvent(trx, {
      orderId,
      type: 'stock_released',
      actor: ACTOR,
      message: `released ${released} reserved line(s) still held by a ${order.status} order`,
    });
    return true;
  });
}

/**
 * Everything a run found that it did not repair becomes an intervention (one per cause: a finding seen again
 * refreshes its entry). Dead events, dead outbox messages and flagged orders get theirs if they lack one.
 * Returns how many entries were opened or refreshed.
 */
export async function openFindings(
  ctx: WorkerContext,
  integrations: readonly Integration[],
  report: CoreReport,
  repairs: Repairs,
): Promise<number> {
  let opened = 0;
  const open = async (input: Parameters<typeof openIntervention>[1]) => {
    if (await openIntervention(ctx.db, input)) opened++;
  };
  for (const check of Object.keys(findingText) as OrderFindingName[]) {
    const { source, summary } = findingText[check];
    for (const orderId of report[check].sample) {
      await open({
        source,
        causeKey: causeKeys.finding(check, orderId),
        summary,
        orderId,
        details: { check },
        actions: ['review_order', 'refund', 'contact_provider', 'resolve'],
      });
    }
  }
  for (const integration of integrations) {
    for (const [name, check] of Object.entries(integration.reconciliation?.checks ?? {})) {
      const fixed = new Set(repairs.channels[`${integration.source}.${name}`] ?? []);
      const key = `${integration.source}.${name}`;
      for (const orderId of report.channels[integration.source]?.[name]?.sample ?? []) {
        if (fixed.has(orderId)) continue;
        await open({
          source: 'reconciliation',
          causeKey: causeKeys.finding(key, orderId),
          summary: check.describe,
          orderId,
          details: { check: key },
          actions: ['review_order', 'contact_provider', 'resolve'],
        });
      }
    }
  }
  const released = new Set(repairs.reservationsReleased);
  for (const orderId of report.openReservationsOnFinishedOrders.sample) {
    if (released.has(orderId)) continue;
    await open({
      source: 'reconciliation',
      causeKey: causeKeys.finding('openReservationsOnFinishedOrders', orderId),
      summary: 'stock still reserved for an order that can no longer ship',
      orderId,
      details: { check: 'openReservationsOnFinishedOrders' },
      actions: ['review_order', 'resolve'],
    });
  }
  // Their own sources open these; a run only fills in a missing one, without counting an occurrence.
  const events = await findInboundEvents(ctx.db, [
    ...report.deadEvents.sample,
    ...report.attentionEvents.sample,
  ]);
  for (const event of events) {
    if (event.status !== 'dead' && event.status !== 'attention') continue;
    const reason = event.last_error ?? event.outcome;
    if (await openEventIntervention(ctx.db, event, event.status, reason, { refresh: false })) opened++;
  }
  for (const id of report.deadOutbox.sample) {
    const row = await ctx.db.selectFrom('outbox').selectAll().where('id', '=', Number(id)).executeTakeFirst();
    if (row?.status !== 'dead') continue;
    await open({
      source: 'dead_outbox',
      causeKey: causeKeys.outbox(row.id),
      summary: `${row.topic} was given up on: ${row.last_error ?? 'no error recorded'}`,
      orderId: row.order_id,
      outboxId: row.id,
      details: { topic: row.topic, error: row.last_error },
      actions: ['replay', 'contact_provider', 'resolve'],
      refresh: false,
    });
  }
  for (const orderId of report.attentionOrders.sample) {
    const order = await findOrderById(ctx.db, orderId);
    if (!order?.attention_reason) continue;
    const outboxEntry = await ctx.db
      .selectFrom('interventions')
      .select('id')
      .where('order_id', '=', orderId)
      .where('state', '=', 'open')
      .where(sql<boolean>`details->>'attentionReason' = ${order.attention_reason}`)
      .executeTakeFirst();
    if (outboxEntry) continue;
    await open({
      source: 'order_attention',
      causeKey: causeKeys.orderAttention(orderId),
      summary: `order ${order.order_number} needs attention: ${order.attention_reason}`,
      orderId,
      details: { attentionReason: order.attention_reason, channel: order.channel },
      actions: ['review_order', 'contact_provider', 'resolve'],
      refresh: false,
    });
  }
  return opened;
}

/** Open entries (`i`) whose cause is gone on its own: each one's row says so, looked up by its key. */
const causesGone: { gone: RawBuilder<boolean>; note: string }[] = [
  {
    gone: sql`exists (select 1 from inbound_events e where e.id = i.event_id and e.status = 'processed')`,
    note: 'the event has been processed',
  },
  {
    gone: sql`exists (select 1 from outbox o where o.id = i.outbox_id and o.status = 'delivered')`,
    note: 'the message has been delivered',
  },
  {
    gone: sql`i.source = 'order_attention'
      and exists (select 1 from orders o where o.id = i.order_id and o.attention_reason is null)`,
    note: "the order's attention flag was cleared",
  },
];

/**
 * Open entries whose cause is gone are resolved by the run, with the reason: a dead event processed since
 * (replayed), an outbox message delivered since, an order whose attention flag was cleared, and a finding a
 * complete check no longer reports. Returns how many.
 */
export async function settleCleared(ctx: WorkerContext, report: CoreReport): Promise<number> {
  const cleared: { id: string; note: string }[] = [];
  const db = ctx.db;
  for (const { gone, note } of causesGone) {
    const entries = await db
      .selectFrom('interventions as i')
      .select('i.id')
      .where('i.state', '=', 'open')
      .where(gone)
      .execute();
    for (const entry of entries) cleared.push({ id: entry.id, note });
  }
  // A finding whose check reported every match (not only a sample) and no longer names the order.
  const complete: [string, Finding][] = [
    ...(Object.keys(findingText) as OrderFindingName[]).map((check): [string, Finding] => [
      check,
      report[check],
    ]),
    ['openReservationsOnFinishedOrders', report.openReservationsOnFinishedOrders],
    ...Object.entries(report.channels).flatMap(([channel, checks]) =>
      Object.entries(checks).map(([name, found]): [string, Finding] => [`${channel}.${name}`, found]),
    ),
  ];
  for (const [check, found] of complete) {
    if (found.count > SAMPLE) continue;
    let stale = db
      .selectFrom('interventions')
      .select('id')
      .where('state', '=', 'open')
      .where('cause_key', 'like', `${FINDING_CAUSE_PREFIX}${check}:%`);
    if (found.sample.length) stale = stale.where('order_id', 'not in', found.sample);
    for (const s of await stale.execute()) cleared.push({ id: s.id, note: `${check} no longer reports it` });
  }
  let settled = 0;
  for (const { id, note } of cleared) {
    try {
      await db
        .transaction()
        .execute((trx: Executor) =>
          resolveIntervention(trx, { id, actor: ACTOR, note: `cause cleared: ${note}` }),
        );
      settled++;
    } catch (err) {
      // An operator resolving it at the same moment is a 409 here: nothing left to do.
      ctx.logger.warn({ interventionId: id, err: errorMessage(err) }, 'could not settle intervention');
    }
  }
  return settled;
}
