import type { Order } from '../../db/schema.js';
import type { Trx } from '../../orders/locks.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import { type ChannelRef, channelAttributes, patchChannelAttributes } from '../kit/orders.js';
import {
  type paymentSnapshot,
  YS_SOURCE,
  type YsCategory,
  type YsItemStatus,
  type YsOutboundStatus,
} from './mapping.js';

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
  refund?: {
    by: 'admin' | 'yemeksepeti';
    amount: number;
    reason?: string;
    skus?: string[];
    eventId?: string;
  };
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

/** What we tell Yemeksepeti about one of its orders (`PUT /v2/chains/{chain_id}/orders/{order_id}`). */
export interface YsUpdate {
  status: YsOutboundStatus;
  items?: { _id: string | null; sku: string; status: YsItemStatus }[];
  cancellation?: { reason: string };
}

/** Writes the update to the outbox in the caller's transaction: the relay carries it to Yemeksepeti. */
export function tellYemeksepeti(trx: Trx, order: Order, update: YsUpdate): Promise<number> {
  return enqueueOutbox(trx, {
    orderId: order.id,
    topic: YS_UPDATE_TOPIC,
    payload: { chainId: order.external_refs.chainId ?? null, orderId: order.external_order_id, ...update },
  });
}
