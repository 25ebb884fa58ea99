import type { Order } from '../../db/schema.js';
import type { Trx } from '../../orders/locks.js';
import { type ChannelRef, channelAttributes, patchChannelAttributes } from '../kit/orders.js';
import { type paymentSnapshot, YS_SOURCE, type YsCategory } from './mapping.js';

export const YS_UPDATE_TOPIC = 'yemeksepeti.order.update';
export const ACTOR = 'channel:yemeksepeti';
/** Yemeksepeti as the kit names it: the orders' channel and the actor of its changes. */
export const YS: ChannelRef = { channel: YS_SOURCE, actor: ACTOR };

/** What we keep about the Yemeksepeti side of an order, in `orders.attributes.yemeksepeti`. */
export interface YsAttributes {
  category?: YsCategory;
  bisuStatus?: string;
  dispatched?: boolean;
  dispatchedAt?: string;
  cancellation?: { reason: string | null; cancelledBy: string | null };
  refund?: { by: 'admin' | 'yemeksepeti'; amount: number; reason?: string; eventId?: string };
  payment?: ReturnType<typeof paymentSnapshot>;
  [key: string]: unknown;
}

export function ysAttributes(order: Order): YsAttributes {
  return channelAttributes<YsAttributes>(order, 'yemeksepeti');
}

/** Merges `patch` into the order's Yemeksepeti attributes. */
export function patchYsAttributes(trx: Trx, order: Order, patch: Partial<YsAttributes>): Promise<Order> {
  return patchChannelAttributes<YsAttributes>(trx, order, 'yemeksepeti', patch);
}

/** Dispatched by us or by Yemeksepeti: from then on we may neither refund nor cancel the order. */
export function isDispatched(order: Order): boolean {
  return (
    order.status === 'shipped' || order.status === 'delivered' || ysAttributes(order).dispatched === true
  );
}
