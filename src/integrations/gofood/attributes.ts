import type { InboundEvent, Order } from '../../db/schema.js';
import type { Trx } from '../../orders/locks.js';
import { setPaymentStatus } from '../../orders/payment.js';
import { commitOrderStock } from '../../orders/stock.js';
import { type ChannelRef, patchChannelAttributes } from '../kit/orders.js';
import { GOFOOD_SOURCE, type GofoodAttributes } from './mapping.js';

export const CHANNEL_ACTOR = 'channel:gofood';
export const DEADLINE_ACTOR = 'gofood:deadline';
/** GoFood as the kit names it: the orders' channel and the actor of its changes. */
export const GOFOOD: ChannelRef = { channel: GOFOOD_SOURCE, actor: CHANNEL_ACTOR };

/** Merges `patch` into the order's GoFood attributes, dropping the `remove` keys. */
export function writeGofoodAttributes(
  trx: Trx,
  order: Order,
  patch: Partial<GofoodAttributes>,
  remove: (keyof GofoodAttributes)[] = [],
): Promise<Order> {
  return patchChannelAttributes<GofoodAttributes>(trx, order, 'gofood', patch, remove);
}

/** GoFood settled the order's payment. */
export async function settlePayment(trx: Trx, order: Order, event: InboundEvent): Promise<void> {
  await setPaymentStatus(trx, {
    order,
    paymentStatus: 'paid',
    actor: CHANNEL_ACTOR,
    reason: 'GoFood settled the payment (gofood.order.placed)',
    metadata: { eventId: event.id },
  });
}

/** The order's goods left: its stock reservation is consumed. */
export async function commit(trx: Trx, order: Order): Promise<void> {
  await commitOrderStock(trx, { orderId: order.id, actor: CHANNEL_ACTOR, why: 'GoFood completed the order' });
}
