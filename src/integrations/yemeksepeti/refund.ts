/** Our partial refund of a Yemeksepeti order, carried the one way Yemeksepeti can carry it. */
import { sql } from 'kysely';
import { refundBody } from '../../http/action-bodies.js';
import { validate } from '../../http/input.js';
import { RuleViolation } from '../../lib/errors.js';
import { assertRefundItemsOrdered, refundOrder } from '../../orders/refund.js';
import { releaseStock } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { deliveryLine, tellDeliveryLinesChanged } from '../delivery/index.js';
import type { OrderAction } from '../types.js';
import { isDispatched, patchYsAttributes, tellYemeksepeti, ysAttributes } from './attributes.js';
import { cartStatus } from './mapping.js';

/** A refund Yemeksepeti cannot carry: doing it here alone would leave the two sides disagreeing. */
function cannotCarry(why: string, details?: Record<string, unknown>): RuleViolation {
  return new RuleViolation('action_not_supported', `Yemeksepeti cannot carry this refund: ${why}`, details);
}

/**
 * Yemeksepeti's partner API has no refund call: a partial refund is items taken out of the cart. We send
 * UPDATE_CART with them NOT_FOUND; Yemeksepeti refunds the customer for them and acknowledges with
 * ORDER_RECONCILED. So a refund names whole lines still in the cart (`items`) for exactly their value, and
 * leaves at least one line (taking every line out is a cancellation). Anything else cannot be carried: 409
 * `action_not_supported`. The lines taken out are NOT_FOUND here too: not delivered, their stock released.
 * Rules: not after DISPATCHED (`no_refund_after_dispatch`), at most once (`refund_once`).
 */
export const refund: OrderAction = async (trx, order, body, { actor }) => {
  if (isDispatched(order)) {
    throw new RuleViolation('no_refund_after_dispatch', 'a DISPATCHED order cannot be refunded by us', {
      orderId: order.id,
    });
  }
  const previous = ysAttributes(order).refund;
  if (previous || order.refunded_total > 0) {
    throw new RuleViolation('refund_once', 'the order was already refunded once', {
      orderId: order.id,
      refundedTotal: order.refunded_total,
      by: previous?.by ?? null,
    });
  }
  const input = validate(refundBody, body);
  if (order.status !== 'confirmed' && order.status !== 'processing') {
    throw cannotCarry(`the order is ${order.status}; only an open order's cart can change`);
  }
  const items = input.items ?? [];
  if (items.length === 0) {
    throw cannotCarry('a refund is items taken out of the cart; name them (items: whole lines)');
  }
  await assertRefundItemsOrdered(trx, order.id, items);

  const lines = await trx
    .selectFrom('order_items')
    .select(['external_id', 'sku', 'name', 'quantity', 'pricing_type', 'total_price', 'status'])
    .where('order_id', '=', order.id)
    .orderBy('line_no')
    .execute();
  const inCart = lines.filter((line) => cartStatus(line.status) === 'IN_CART');
  const requested = new Map<string, number>();
  for (const item of items) requested.set(item.sku, (requested.get(item.sku) ?? 0) + item.quantity);
  const notWhole = [...requested].flatMap(([sku, quantity]) => {
    const inCartQuantity = inCart.filter((l) => l.sku === sku).reduce((sum, l) => sum + l.quantity, 0);
    return quantity === inCartQuantity ? [] : [{ sku, requested: quantity, inCart: inCartQuantity }];
  });
  if (notWhole.length > 0) {
    throw cannotCarry(
      'Yemeksepeti takes whole lines out of the cart; name each line in the cart with its whole quantity',
      {
        items: notWhole,
      },
    );
  }
  const removed = inCart.filter((line) => requested.has(line.sku));
  if (removed.length === inCart.length) {
    throw cannotCarry('taking every line out of the cart is a cancellation; cancel the order instead');
  }
  const value = removed.reduce((sum, line) => sum + line.total_price, 0);
  if (input.amount !== value) {
    throw cannotCarry(`Yemeksepeti refunds the value of the lines taken out, ${value}, not ${input.amount}`, {
      amount: input.amount,
      linesValue: value,
    });
  }

  const skus = [...requested.keys()];
  const refunded = await refundOrder(trx, { order, actor, ...input });
  await trx
    .updateTable('order_items')
    .set({ status: 'NOT_FOUND', updated_at: sql`now()` })
    .where('order_id', '=', order.id)
    .where('sku', 'in', skus)
    .where('status', '=', 'IN_CART')
    .execute();
  const released = await releaseStock(trx, order.id, skus);
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'note_added',
    actor,
    message: `${removed.length} line(s) taken out of the cart for the refund: NOT_FOUND, not delivered, ${released} reservation(s) released; Yemeksepeti is told with UPDATE_CART and refunds the customer`,
    metadata: { skus, released },
  });
  await tellYemeksepeti(trx, order, {
    status: 'UPDATE_CART',
    items: lines.map((line) => ({
      _id: line.external_id,
      sku: line.sku,
      status: requested.has(line.sku) ? 'NOT_FOUND' : cartStatus(line.status),
    })),
  });
  // The lines left in the cart are what is delivered now; a delivery domain already asked hears so.
  const remaining = inCart
    .filter((line) => !requested.has(line.sku))
    .map((line) => deliveryLine({ ...line, pricingType: line.pricing_type }));
  const told = await tellDeliveryLinesChanged(trx, refunded, remaining);
  return patchYsAttributes(trx, told, {
    refund: { by: 'admin', amount: input.amount, reason: input.reason, skus },
  });
};
