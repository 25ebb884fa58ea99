/** What the delivery domain is told about an order's lines, and when it must be told again. */
import type { Order } from '../../db/schema.js';
import type { Trx } from '../../orders/locks.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import { channelAttributes, patchChannelAttributes } from '../kit/orders.js';
import { DELIVERY_REQUESTED, DELIVERY_UPDATED } from './outbound.js';

/** A line to deliver, as `delivery.requested` and `delivery.updated` carry it. */
export interface DeliveryLine {
  sku: string;
  name: string;
  /** Pieces, or grams for a `kg` line. */
  quantity: number;
  pricingType: 'unit' | 'kg';
}

/** What we keep about an order's hand-off, in `orders.attributes.delivery`. */
interface DeliveryAttributes {
  /** The last `delivery.updated` revision written; the request itself is revision 0. */
  revision: number;
}

/**
 * The attributes an order is created with when its `delivery.requested` is written in the same
 * transaction: the order itself then says it was handed over, however long its outbox rows are kept.
 */
export function handedToDelivery(): { delivery: DeliveryAttributes } {
  return { delivery: { revision: 0 } };
}

/** A line in the shape of the delivery messages (whatever else the caller's line carries is left out). */
export function deliveryLine(line: {
  sku: string;
  name: string;
  quantity: number;
  pricingType?: 'unit' | 'kg' | undefined;
}): DeliveryLine {
  return { sku: line.sku, name: line.name, quantity: line.quantity, pricingType: line.pricingType ?? 'unit' };
}

/**
 * The order's lines to deliver changed after its delivery request was written: writes `delivery.updated`
 * with the next revision (1, 2, … per order) and the full list of lines to deliver now, in the caller's
 * transaction, so the delivery domain does not deliver lines the customer no longer gets. The receiver
 * applies the highest revision and ignores older ones. An order without a delivery request (none written,
 * or none needed) has nothing to correct: nothing is written and the order comes back unchanged. Whether
 * one was written is read from the order (`handedToDelivery`), and for orders created before it recorded
 * that, from the outbox (whose delivered rows are deleted after RETENTION_DAYS). The caller
 * holds the order's lock, so two changes cannot take the same revision.
 */
export async function tellDeliveryLinesChanged(
  trx: Trx,
  order: Order,
  lines: readonly DeliveryLine[],
): Promise<Order> {
  const previous = channelAttributes<DeliveryAttributes>(order, 'delivery').revision;
  if (previous === undefined && !(await deliveryRequested(trx, order.id))) return order;
  const revision = (previous ?? 0) + 1;
  await enqueueOutbox(trx, {
    orderId: order.id,
    topic: DELIVERY_UPDATED,
    payload: { orderId: order.id, revision, items: lines.map(deliveryLine) },
  });
  return patchChannelAttributes<DeliveryAttributes>(trx, order, 'delivery', { revision });
}

async function deliveryRequested(trx: Trx, orderId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('outbox')
    .select('id')
    .where('order_id', '=', orderId)
    .where('topic', '=', DELIVERY_REQUESTED)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
