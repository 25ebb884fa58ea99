import type { InboundEvent, Order } from '../../db/schema.js';
import { AppError, errorMessage } from '../../lib/errors.js';
import { flagAttention } from '../../orders/attention.js';
import { recordChannelStatus } from '../../orders/channel-status.js';
import { findOrderByExternalId, type Trx } from '../../orders/locks.js';
import { formatMinorUnits } from '../../orders/money.js';
import { isOrderStatus, transitionPath } from '../../orders/status.js';
import { commitOrderStock } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { advanceOrder } from '../../orders/transition.js';
import { eventAlreadyRecorded, withLockedOrder } from '../kit/orders.js';
import { alreadyRecorded, attention, processed } from '../kit/results.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { ACTOR, patchYsAttributes, ysAttributes } from './attributes.js';
import {
  bisuStatusAfter,
  isNewer,
  paymentSnapshot,
  YS_CURRENCY,
  YS_SOURCE,
  YS_TO_INTERNAL,
  type YsPaymentSnapshot,
  type YsStatus,
} from './mapping.js';
import type { YsEventMeta, YsOrder } from './schema.js';
import { noteStoreChange } from './warehouse.js';

/** A status for an order not created yet is retried this many times (its create may still be queued). */
const WAIT_FOR_CREATE_ATTEMPTS = 3;

/** A status Yemeksepeti reports on an order: applied when it moves the order on, else recorded only. */
export async function syncFlow(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  status: YsStatus,
  meta: YsEventMeta,
): Promise<HandlerResult> {
  const existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (!existing) {
    // Its create may still be queued behind it: retry a few times before asking a person.
    if (!meta.recovered && event.attempts + 1 < WAIT_FOR_CREATE_ATTEMPTS) {
      throw new AppError('not_found', `order ${ys.order_id} does not exist yet; retrying`, {
        retryable: true,
      });
    }
    return attention(`Yemeksepeti sent ${status} for order ${ys.order_id}, which we never received`);
  }
  return syncExisting(ctx, event, ys, status, existing.id);
}

export async function syncExisting(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  status: YsStatus,
  orderId: string,
): Promise<HandlerResult> {
  return withLockedOrder(
    ctx.db,
    { channel: YS_SOURCE, externalOrderId: ys.order_id },
    async (trx, locked) => {
      if (await eventAlreadyRecorded(trx, locked, event)) return alreadyRecorded(status, orderId);
      let order = locked;
      await noteStoreChange(ctx, trx, order, ys);
      if (status === 'ORDER_RECONCILED') return reconcile(trx, event, ys, order);
      if (status === 'CANCELLED') throw new AppError('internal', 'cancellations go through the cancel flow');
      const target = YS_TO_INTERNAL[status];
      const from = order.status;
      const path = target && isOrderStatus(from) ? transitionPath(from, target) : undefined;
      if (!target || !isOrderStatus(from) || !path || !isNewer(from, target)) {
        await recordChannelStatus(trx, {
          order,
          channelStatus: status,
          applied: false,
          note: from === target ? `order is already ${from}` : `stale: order is ${from}`,
          eventId: event.id,
        });
        return {
          status: 'processed',
          orderId,
          outcome: `${status} recorded, not applied (order is ${from})`,
        };
      }
      order = await advanceOrder(trx, {
        order,
        to: target,
        actor: ACTOR,
        reason: `Yemeksepeti status ${status}`,
        metadata: { eventId: event.id },
      });
      if (target === 'shipped' || target === 'delivered')
        await commitOrderStock(trx, { orderId: order.id, actor: ACTOR });
      await recordChannelStatus(trx, { order, channelStatus: status, applied: true, eventId: event.id });
      const attrs = ysAttributes(order);
      await patchYsAttributes(trx, order, {
        bisuStatus: bisuStatusAfter(status, attrs.bisuStatus),
        ...(status === 'DISPATCHED' || status === 'DELIVERED'
          ? { dispatched: true, dispatchedAt: attrs.dispatchedAt ?? new Date().toISOString() }
          : {}),
      });
      return { status: 'processed', orderId, outcome: `${from} → ${target} (${status})` };
    },
  );
}

/**
 * ORDER_RECONCILED is Yemeksepeti's acknowledgement of a partial refund (typically the one that followed our
 * UPDATE_CART). No business rule runs for it on our side: its new totals and the channel status go on the
 * timeline, and nothing else changes. No refund is recorded (ours would be counted twice, and the order's one
 * refund used up), the order status stays, and the BiSU status does not move.
 */
async function reconcile(trx: Trx, event: InboundEvent, ys: YsOrder, order: Order): Promise<HandlerResult> {
  const previous = ysAttributes(order).payment ?? null;
  const totals = paymentSnapshot(ys);
  await recordChannelStatus(trx, {
    order,
    channelStatus: 'ORDER_RECONCILED',
    applied: true,
    note: 'Yemeksepeti acknowledged a partial refund; no rule runs on our side',
    eventId: event.id,
  });
  const summary = describeTotals(totals, previous);
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'channel_totals',
    actor: ACTOR,
    message: `Yemeksepeti's totals after ORDER_RECONCILED: ${summary}; recorded only, no refund recorded`,
    metadata: { channelStatus: 'ORDER_RECONCILED', eventId: event.id, totals, previous },
  });
  return processed(`ORDER_RECONCILED recorded (${summary}); nothing else changes`, order.id);
}

/** "order total 277.92 TRY (was 323.42), subtotal 262.93 TRY (was 308.43)", for what Yemeksepeti sent. */
function describeTotals(totals: YsPaymentSnapshot, previous: YsPaymentSnapshot | null): string {
  const parts = (
    [
      ['order total', totals.orderTotal, previous?.orderTotal],
      ['subtotal', totals.subTotal, previous?.subTotal],
    ] as const
  ).flatMap(([label, now, before]) =>
    now === null
      ? []
      : [
          `${label} ${formatMinorUnits(now, YS_CURRENCY)} ${YS_CURRENCY}${
            before == null ? '' : ` (was ${formatMinorUnits(before, YS_CURRENCY)})`
          }`,
        ],
  );
  return parts.length > 0 ? parts.join(', ') : 'no totals sent';
}

export async function unknownStatus(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
): Promise<HandlerResult> {
  const outcome = `unknown Yemeksepeti status ${ys.status}`;
  const existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (!existing) return attention(outcome);
  try {
    await withLockedOrder(
      ctx.db,
      { channel: YS_SOURCE, externalOrderId: ys.order_id },
      async (trx, order) => {
        await recordChannelStatus(trx, {
          order,
          channelStatus: ys.status,
          applied: false,
          note: 'unknown status',
          eventId: event.id,
        });
        await flagAttention(trx, { order, reason: outcome, actor: ACTOR });
      },
    );
  } catch (err) {
    ctx.logger.warn({ err: errorMessage(err) }, 'could not record the unknown status on the order');
  }
  return attention(outcome, existing.id);
}
