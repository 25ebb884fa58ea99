import { sql } from 'kysely';
import { findOrderById } from '../../orders/locks.js';
import type { ChannelCheck, ChannelReconciliation } from '../types.js';
import { deadlineJobId, ensureDeadline } from './deadline.js';
import { GOFOOD_SOURCE } from './mapping.js';

/** How long after GoFood's longest acceptance window an undecided order is reported. */
const DEADLINE_MARGIN_MS = 60_000;

/**
 * GoFood orders still awaiting the merchant's acceptance well past GoFood's own acceptance windows, with no
 * decision on record (neither ours at the deadline nor GoFood's). Pending orders only (their status index).
 */
const pastAcceptanceDeadline: ChannelCheck = {
  describe: 'GoFood order past its acceptance deadline with no decision',
  find: async (db, { config, notAcknowledged }) => {
    const windowSeconds =
      (Math.max(config.GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS, config.GOFOOD_AUTO_ACCEPT_TIMEOUT_MS) +
        DEADLINE_MARGIN_MS) /
      1000;
    const found = db
      .selectFrom('orders')
      .where('status', '=', 'pending')
      .where('channel', '=', GOFOOD_SOURCE)
      .where('channel_status', '=', 'awaiting_merchant_acceptance')
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
      .where(sql<boolean>`attributes->'gofood'->'deadlineRejection' is null`)
      .where(notAcknowledged('gofood.pastAcceptanceDeadline'));
    const sample = await found.select('id').orderBy('created_at').limit(20).execute();
    const count = await found.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    return { count: Number(count.n), sample: sample.map((r) => r.id) };
  },
  // The safe repair: an order whose deadline job Redis lost gets it again (it runs at once, the window being
  // over). One whose job ran and decided nothing, or whose outlet has no deadline, needs a person.
  repair: async (ctx, orderIds) => {
    const repaired: string[] = [];
    for (const orderId of orderIds) {
      if (await ctx.queues.maintenance.getJob(deadlineJobId(orderId))) continue;
      const order = await findOrderById(ctx.db, orderId);
      if (!order) continue;
      await ensureDeadline(ctx, orderId, { stateBeganAt: null, receivedAt: order.created_at });
      if (await ctx.queues.maintenance.getJob(deadlineJobId(orderId))) repaired.push(orderId);
    }
    return repaired;
  },
};

/**
 * What reconciliation expects of GoFood orders. A cancelled order can be paid: GoFood settles the payment
 * with the merchant ("the payment is successful and will be sent to the merchant"), so it is no payment
 * inconsistency. Acceptance is a matter of minutes, preparation and delivery of hours.
 */
export const gofoodReconciliation: ChannelReconciliation = {
  expectedPaymentStates: [{ status: 'cancelled', paymentStatus: 'paid' }],
  stuckAfterMs: { pending: 30 * 60_000, confirmed: 3 * 3_600_000, processing: 3 * 3_600_000 },
  checks: { pastAcceptanceDeadline },
};
