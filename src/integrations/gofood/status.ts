import type { InboundEvent, Order } from '../../db/schema.js';
import { flagAttention } from '../../orders/attention.js';
import { recordChannelStatus } from '../../orders/channel-status.js';
import { getOrderForUpdate, type Trx } from '../../orders/locks.js';
import { fulfilmentRank, isOrderStatus, terminalStatuses } from '../../orders/status.js';
import { reserveStockAgain, StockShortageError } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { advanceOrder, transitionOrder } from '../../orders/transition.js';
import { eventAlreadyRecorded } from '../kit/orders.js';
import type { HandlerResult } from '../types.js';
import { CHANNEL_ACTOR, commit, settlePayment, writeGofoodAttributes } from './attributes.js';
import {
  type EventKind,
  type GofoodAttributes,
  gofoodAttributes,
  internalStatusFor,
  isLifecycleStep,
  type LifecycleStep,
  parseTimestamp,
  stepAdvances,
  terminalSteps,
} from './mapping.js';
import type { GofoodNotification } from './schema.js';

/**
 * A GoFood event on an order we hold, under its lock: a step that moves the lifecycle on is applied; a
 * late one, or one after a final step, is recorded only. Our deadline rejection is overruled by a later step.
 */
export async function applyEvent(
  trx: Trx,
  order: Order,
  event: InboundEvent,
  notification: GofoodNotification,
  kind: Exclude<EventKind, { kind: 'unknown' }>,
): Promise<HandlerResult> {
  const done = (outcome: string): HandlerResult => ({ status: 'processed', orderId: order.id, outcome });
  if (kind.kind === 'payment_settled') {
    if (['paid', 'partially_refunded', 'refunded'].includes(order.payment_status)) {
      return done(`payment already ${order.payment_status}`);
    }
    await settlePayment(trx, order, event);
    return done('payment settled');
  }
  const step = kind.step;
  // A job that ran to its commit but not to marking the inbox row: the step is on record already.
  if (await eventAlreadyRecorded(trx, order, event)) return done(`${step} already recorded`);
  const occurredAt = parseTimestamp(notification.header.timestamp);
  const current = isLifecycleStep(order.channel_status) ? order.channel_status : null;

  if (!stepAdvances(current, step)) {
    const terminal = current !== null && terminalSteps.has(current);
    const note = terminal
      ? `GoFood already reported ${current}, which is final`
      : `late: GoFood already reported ${current}`;
    await recordChannelStatus(trx, {
      order,
      channelStatus: step,
      applied: false,
      note,
      eventId: event.id,
      occurredAt,
    });
    if (terminal && terminalSteps.has(step) && step !== current) {
      await flagAttention(trx, {
        order,
        reason: `GoFood reported ${step} after ${current}; the order stays ${order.status}`,
        actor: CHANNEL_ACTOR,
      });
    }
    return done(`${step} recorded, not applied (${terminal ? 'after a final step' : 'late'})`);
  }

  const rejection = gofoodAttributes(order.attributes).deadlineRejection;
  if (
    rejection &&
    step !== 'cancelled' &&
    isOrderStatus(order.status) &&
    terminalStatuses.has(order.status)
  ) {
    // Too late to overrule: our rejection is final (the grace period ran out, or an operator ended the order).
    // Re-reserving stock and moving on is no longer ours to decide; a person reconciles it with GoFood.
    const ours = rejection.finalizedAt
      ? `our rejection at the acceptance deadline, made final at ${rejection.finalizedAt} because GoFood never confirmed it`
      : 'our rejection at the acceptance deadline';
    await recordChannelStatus(trx, {
      order,
      channelStatus: step,
      applied: false,
      note: `contradicts ${ours}; the order is ${order.status}`,
      eventId: event.id,
      occurredAt,
    });
    await flagAttention(trx, {
      order,
      reason: `GoFood reports ${step}, contradicting ${ours}; the order stays ${order.status}: an operator must settle it with GoFood`,
      actor: CHANNEL_ACTOR,
    });
    return done(`${step} recorded, not applied (contradicts our final deadline rejection)`);
  }

  await recordChannelStatus(trx, {
    order,
    channelStatus: step,
    applied: true,
    eventId: event.id,
    occurredAt,
  });
  let updated = await getOrderForUpdate(trx, order.id);
  const attrs = gofoodAttributes(updated.attributes);
  if (attrs.deadlineRejection && step !== 'cancelled') {
    updated = await overruleDeadlineRejection(trx, updated, step, attrs);
  }

  const target = internalStatusFor[step];
  const from = updated.status;
  if (!isOrderStatus(from) || from === target) return done(`${step} applied; status stays ${from}`);
  if (terminalStatuses.has(from)) {
    await flagAttention(trx, {
      order: updated,
      reason: `GoFood reports ${step} but the order is ${from} here`,
      actor: CHANNEL_ACTOR,
    });
    return done(`${step} applied to the channel status; order is ${from}`);
  }
  const reason = `GoFood: ${step}`;
  const metadata = { eventId: event.id, channelStatus: step };
  if (target === 'cancelled') {
    const detail = notification.body.order?.cancellation_detail;
    await transitionOrder(trx, {
      order: updated,
      to: 'cancelled',
      actor: CHANNEL_ACTOR,
      reason: attrs.deadlineRejection
        ? `GoFood: cancelled (confirms our rejection at the acceptance deadline)`
        : reason,
      metadata: { ...metadata, cancellationDetail: detail ?? null },
    });
    return done(`cancelled (was ${from})`);
  }
  if (fulfilmentRank[target] <= fulfilmentRank[from]) {
    return done(`${step} applied; status stays ${from}`);
  }
  // GoFood reports no step of its own for what it skips (no `shipped` before `completed`): those are implied.
  updated = await advanceOrder(trx, {
    order: updated,
    to: target,
    actor: CHANNEL_ACTOR,
    reason,
    metadata,
    impliedReason: `implied by GoFood's ${step}; not reported by GoFood`,
  });
  if (target === 'delivered') await commit(trx, updated);
  return done(`${from} → ${target} (${step})`);
}

async function overruleDeadlineRejection(
  trx: Trx,
  order: Order,
  step: LifecycleStep,
  attrs: Partial<GofoodAttributes>,
): Promise<Order> {
  const updated = await writeGofoodAttributes(trx, order, {}, ['deadlineRejection']);
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'gofood_decision_overruled',
    actor: CHANNEL_ACTOR,
    message: `GoFood reports ${step} after our rejection at the acceptance deadline (${attrs.deadlineRejection?.at}); GoFood wins`,
    metadata: { step, rejection: attrs.deadlineRejection ?? null },
  });
  if (updated.warehouse_code) {
    const items = await trx
      .selectFrom('order_items')
      .select(['sku', 'quantity', 'status'])
      .where('order_id', '=', order.id)
      .execute();
    const lines = items
      .filter((i) => i.status === 'active')
      .map((i) => ({ sku: i.sku, quantity: i.quantity }));
    try {
      await reserveStockAgain(trx, order.id, updated.warehouse_code, lines);
      await addTimelineEvent(trx, {
        orderId: order.id,
        type: 'stock_reserved',
        actor: CHANNEL_ACTOR,
        message: `reserved ${lines.length} line(s) again in warehouse ${updated.warehouse_code}`,
      });
    } catch (err) {
      if (!(err instanceof StockShortageError)) throw err;
      await flagAttention(trx, {
        order: updated,
        reason: `GoFood overruled our deadline rejection but the stock is gone: ${err.message}`,
        actor: CHANNEL_ACTOR,
      });
    }
  }
  return getOrderForUpdate(trx, order.id);
}
