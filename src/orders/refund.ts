import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { AppError, RuleViolation } from '../lib/errors.js';
import type { CommandContext } from './change.js';
import { staleOrderError } from './locks.js';
import { canTransition, isOrderStatus } from './status.js';
import { addTimelineEvent } from './timeline.js';
import { transitionOrder } from './transition.js';

export interface RefundInput extends CommandContext {
  order: Order;
  /** Minor units. */
  amount: number;
  items?: { sku: string; quantity: number }[];
}

/**
 * Records a refund. A refund of the whole remaining amount moves the order to `refunded` (when the table
 * allows it); a partial one only raises `refundedTotal`. Only money that was taken can be given back.
 */
export async function refundOrder(trx: Executor, input: RefundInput): Promise<Order> {
  const { order } = input;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new AppError('validation_failed', 'refund amount must be a positive integer in minor units', {
      retryable: false,
    });
  }
  assertRefundable(order, input.amount);
  if (input.items?.length) await assertRefundItemsOrdered(trx, order.id, input.items);
  const refunded = order.refunded_total + input.amount;
  const full = refunded === order.total;
  // Compare-and-set on the refunded total: two refunds from stale copies cannot both count.
  const refundedRow = await trx
    .updateTable('orders')
    .set({
      refunded_total: refunded,
      payment_status: full ? 'refunded' : 'partially_refunded',
      updated_at: sql`now()`,
    })
    .where('id', '=', order.id)
    .where('refunded_total', '=', order.refunded_total)
    .returningAll()
    .executeTakeFirst();
  if (!refundedRow) throw staleOrderError(order.id);
  let updated = refundedRow;
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'refunded',
    actor: input.actor,
    message: input.reason ?? (full ? 'full refund' : 'partial refund'),
    metadata: { amount: input.amount, refundedTotal: refunded, items: input.items ?? [], ...input.metadata },
  });
  const status = updated.status;
  if (full && isOrderStatus(status) && canTransition(status, 'refunded')) {
    updated = await transitionOrder(trx, {
      order: updated,
      to: 'refunded',
      actor: input.actor,
      reason: input.reason ?? 'fully refunded',
    });
  }
  return updated;
}

/**
 * Only money that was taken can be given back, and never more than is left of it: 409
 * `rule_refund_requires_payment` or `rule_refund_exceeds_payment`, on every channel and for a customer's
 * request as for an operator's refund.
 */
export function assertRefundable(order: Order, amount: number): void {
  // An unpaid (or failed, or only authorized) order has nothing to refund.
  if (order.payment_status !== 'paid' && order.payment_status !== 'partially_refunded') {
    throw new RuleViolation(
      'refund_requires_payment',
      `an order whose payment is ${order.payment_status} has nothing to refund`,
      { paymentStatus: order.payment_status },
    );
  }
  const remaining = order.total - order.refunded_total;
  if (amount > remaining) {
    throw new RuleViolation(
      'refund_exceeds_payment',
      `refund of ${amount} exceeds the refundable ${remaining}`,
      {
        remaining,
      },
    );
  }
}

/** Refunded items must be the order's own lines, each at most the quantity ordered (400, nothing changed). */
export async function assertRefundItemsOrdered(
  trx: Executor,
  orderId: string,
  items: readonly { sku: string; quantity: number }[],
): Promise<void> {
  const lines = await trx
    .selectFrom('order_items')
    .select(['sku', 'quantity'])
    .where('order_id', '=', orderId)
    .execute();
  const ordered = new Map<string, number>();
  for (const line of lines) ordered.set(line.sku, (ordered.get(line.sku) ?? 0) + line.quantity);
  const requested = new Map<string, number>();
  for (const item of items) requested.set(item.sku, (requested.get(item.sku) ?? 0) + item.quantity);
  const wrong = [...requested]
    .filter(([sku, quantity]) => quantity > (ordered.get(sku) ?? 0))
    .map(([sku, quantity]) => ({ sku, requested: quantity, ordered: ordered.get(sku) ?? 0 }));
  if (wrong.length > 0) {
    throw new AppError(
      'validation_failed',
      'refund items must be lines of the order, at most as many as ordered',
      {
        details: wrong,
        retryable: false,
      },
    );
  }
}
