/**
 * What operators and customers do to a storefront order after checkout: processing, shipment, delivery,
 * cancellation, refunds and notes. Every status change goes through the transition table (`transitionOrder`);
 * each function runs in the caller's transaction, which holds the order's lock.
 */
import type { Executor } from '../../db/index.js';
import type { Order } from '../../db/schema.js';
import { RuleViolation } from '../../lib/errors.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import { setPaymentStatus } from '../../orders/payment.js';
import { assertRefundable, refundOrder } from '../../orders/refund.js';
import type { OrderStatus } from '../../orders/status.js';
import { commitOrderStock, restoreCommittedStock } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { transitionOrder } from '../../orders/transition.js';
import { TOPIC_REFUND } from '../razorpay/schema.js';

interface Acting {
  actor: string;
}

/** Statuses in which the customer may still cancel on their own: nothing has been prepared yet. */
export const customerCancellable: ReadonlySet<string> = new Set(['pending', 'confirmed']);

const paidStatuses: ReadonlySet<string> = new Set(['paid', 'partially_refunded']);

/**
 * The order's money is in (a captured payment, or nothing to pay): payment `paid`, pending → confirmed, and
 * its reserved stock committed.
 */
export async function confirmPaid(
  trx: Executor,
  order: Order,
  input: Acting & { reason: string; metadata?: Record<string, unknown> },
): Promise<Order> {
  const paid = await setPaymentStatus(trx, {
    order: order,
    paymentStatus: 'paid',
    actor: input.actor,
    reason: input.reason,
    ...(input.metadata ? { metadata: input.metadata } : {}),
  });
  const confirmed = await transitionOrder(trx, {
    order: paid,
    to: 'confirmed',
    actor: input.actor,
    reason: 'payment received',
  });
  await commitOrderStock(trx, { orderId: order.id, actor: input.actor, why: 'payment received' });
  return confirmed;
}

export async function startProcessing(trx: Executor, order: Order, input: Acting & { note?: string }) {
  return transitionOrder(trx, {
    order: order,
    to: 'processing',
    actor: input.actor,
    reason: input.note ?? 'processing',
  });
}

export interface Shipment {
  carrier: string;
  trackingNumber: string;
}

export async function shipOrder(
  trx: Executor,
  order: Order,
  input: Acting & Shipment & { note?: string },
): Promise<Order> {
  const shipped = await transitionOrder(trx, {
    order: order,
    to: 'shipped',
    actor: input.actor,
    reason: input.note ?? `shipped via ${input.carrier}, tracking ${input.trackingNumber}`,
    metadata: { carrier: input.carrier, trackingNumber: input.trackingNumber },
  });
  await trx
    .insertInto('order_shipments')
    .values({ order_id: order.id, carrier: input.carrier, tracking_number: input.trackingNumber })
    .onConflict((oc) =>
      oc.column('order_id').doUpdateSet({ carrier: input.carrier, tracking_number: input.trackingNumber }),
    )
    .execute();
  return shipped;
}

export async function deliverOrder(trx: Executor, order: Order, input: Acting & { note?: string }) {
  const delivered = await transitionOrder(trx, {
    order: order,
    to: 'delivered',
    actor: input.actor,
    reason: input.note ?? 'delivered',
  });
  await trx
    .updateTable('order_shipments')
    .set({ delivered_at: new Date() })
    .where('order_id', '=', order.id)
    .execute();
  return delivered;
}

/**
 * Cancels the order: its stock goes back (reserved stock is released, committed stock put back on hand), and
 * the money of a paid order is refunded in full through Razorpay. The table refuses a delivered or refunded
 * order.
 */
export async function cancelOrder(
  trx: Executor,
  order: Order,
  input: Acting & { reason?: string | undefined },
): Promise<Order> {
  const reason = input.reason ?? 'cancelled';
  let current = await transitionOrder(trx, { order: order, to: 'cancelled', actor: input.actor, reason });
  const restored = await restoreCommittedStock(trx, order.id);
  if (restored > 0) {
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'stock_restored',
      actor: input.actor,
      message: `put ${restored} committed line(s) back on hand`,
    });
  }
  const remaining = current.total - current.refunded_total;
  if (paidStatuses.has(current.payment_status) && remaining > 0) {
    current = await refundPayment(trx, current, {
      actor: input.actor,
      amount: remaining,
      reason: `cancelled: ${reason}`,
      initiatePaymentRefund: true,
    });
  }
  return current;
}

/**
 * Records a refund (their sum never exceeds what was paid; the whole amount moves the order to `refunded`)
 * and, with `initiatePaymentRefund`, asks Razorpay to pay it back through the outbox; `refund.processed`
 * settles it. Without it the money went back some other way and the refund is settled at once.
 */
export async function refundPayment(
  trx: Executor,
  order: Order,
  input: Acting & { amount: number; reason: string; initiatePaymentRefund: boolean },
): Promise<Order> {
  const payment = input.initiatePaymentRefund
    ? await trx
        .selectFrom('razorpay_payments')
        .select('payment_id')
        .where('order_id', '=', order.id)
        .where('status', '=', 'captured')
        .executeTakeFirst()
    : undefined;
  if (input.initiatePaymentRefund && !payment) {
    throw new RuleViolation('no_captured_payment', 'the order has no captured Razorpay payment to refund', {
      orderId: order.id,
    });
  }
  const updated = await refundOrder(trx, {
    order: order,
    actor: input.actor,
    amount: input.amount,
    reason: input.reason,
  });
  const refund = await trx
    .insertInto('storefront_refunds')
    .values({
      order_id: order.id,
      amount: input.amount,
      reason: input.reason,
      status: payment ? 'pending' : 'processed',
      payment_id: payment?.payment_id ?? null,
      actor: input.actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (payment) {
    await enqueueOutbox(trx, {
      orderId: order.id,
      topic: TOPIC_REFUND,
      payload: { refundId: refund.id, paymentId: payment.payment_id, amount: input.amount },
    });
  }
  return updated;
}

/** A customer's refund request: recorded for an operator, no money moves. */
export async function requestRefund(
  trx: Executor,
  order: Order,
  input: Acting & { amount: number; reason: string },
): Promise<string> {
  assertRefundable(order, input.amount);
  const row = await trx
    .insertInto('storefront_refunds')
    .values({
      order_id: order.id,
      amount: input.amount,
      reason: input.reason,
      status: 'requested',
      actor: input.actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'refund_requested',
    actor: input.actor,
    message: `refund of ${input.amount} requested: ${input.reason}`,
    metadata: { refundId: row.id, amount: input.amount },
  });
  return row.id;
}

/** A note on the timeline; a public one is shown to the customer, a private one never. */
export async function addNote(
  trx: Executor,
  order: Order,
  input: Acting & { note: string; isPublic: boolean },
) {
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'note_added',
    actor: input.actor,
    message: input.note,
    metadata: { isPublic: input.isPublic },
  });
}

/**
 * An operator's status change. `confirmed` comes only from a payment and `refunded` only from refunds, so
 * neither can be set by hand; `shipped` records the shipment; `cancelled` is the whole cancellation (stock
 * back, money back).
 */
export async function changeStatus(
  trx: Executor,
  order: Order,
  to: OrderStatus,
  input: Acting & { note?: string | undefined; shipment?: Shipment | undefined },
): Promise<Order> {
  const note = input.note;
  switch (to) {
    case 'processing':
      return startProcessing(trx, order, { actor: input.actor, ...(note ? { note } : {}) });
    case 'shipped':
      // A shipped order without its shipment would show as unshipped and be reported by reconciliation.
      if (!input.shipment) {
        throw new RuleViolation(
          'shipment_required',
          'an order is shipped with its carrier and trackingNumber',
        );
      }
      return shipOrder(trx, order, { actor: input.actor, ...input.shipment, ...(note ? { note } : {}) });
    case 'delivered':
      return deliverOrder(trx, order, { actor: input.actor, ...(note ? { note } : {}) });
    case 'cancelled':
      return cancelOrder(trx, order, { actor: input.actor, reason: note });
    default:
      throw new RuleViolation('status_not_settable', `${to} is set by payments and refunds, not by hand`, {
        to,
      });
  }
}
