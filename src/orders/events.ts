import type { Order } from '../db/schema.js';
import type { OutboxMessage } from './outbox.js';

/** The outbox topic that hands a new order to downstream subscribers. */
export const ORDER_CREATED_TOPIC = 'subscribers.order.created';

/** What is known of an order before its insert: enough to name it in an outbox message. */
export type NewOrderRef = Pick<Order, 'id' | 'order_number' | 'channel' | 'external_order_id' | 'status'>;

/** The `order.created` outbox message of a new order, written in its creation transaction. */
export function orderCreatedMessage(order: NewOrderRef): OutboxMessage {
  return {
    orderId: order.id,
    topic: ORDER_CREATED_TOPIC,
    payload: {
      orderId: order.id,
      orderNumber: order.order_number,
      channel: order.channel,
      externalOrderId: order.external_order_id,
      status: order.status,
    },
  };
}
