import { z } from 'zod';
import type { Executor } from '../../db/index.js';
import type { Order } from '../../db/schema.js';
import { enqueueOutbox, type OutboxMessage } from '../../orders/outbox.js';
import type { NewOrderRef } from '../../orders/service.js';
import {
  type Integration,
  type OutboundProcessor,
  type Publication,
  type Publisher,
  refuseInboundEvents,
} from '../types.js';

export const SUBSCRIBERS_SOURCE = 'subscribers';
export const ORDER_CREATED_TOPIC = 'subscribers.order.created';

const orderCreatedPayload = z.object({
  orderId: z.uuid(),
  orderNumber: z.string(),
  channel: z.string(),
  externalOrderId: z.string(),
  status: z.string(),
});

export function subscriberJobId(orderId: string): string {
  return `order-created-${orderId}`;
}

/**
 * Every integration hands a new order to the SUBSCRIBER_EVENTS queue. Written to the outbox in the
 * order's creation transaction, so the publication can be neither lost (Redis down after commit) nor sent
 * for an order that rolled back.
 */
export async function publishOrderCreated(trx: Executor, order: Order): Promise<void> {
  await enqueueOutbox(trx, orderCreatedMessage(order));
}

/** The outbox message `publishOrderCreated` writes, for a caller that inserts it with other messages. */
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

/**
 * The `order.created` job for downstream subscribers; its id makes a second publication of the same order a
 * no-op. The relay publishes it directly (no outbound job: there is no provider to call).
 */
export const orderCreatedPublisher: (...args: Parameters<Publisher>) => Publication = (ctx, message) => {
  const payload = orderCreatedPayload.parse(message.payload);
  if (ctx.config.SUBSCRIBER_EVENTS === 'off') return { sent: false, message: 'SUBSCRIBER_EVENTS is off' };
  return {
    sent: true,
    message: 'published on subscriber-events',
    job: {
      queue: ctx.queues.subscriberEvents,
      name: 'order.created',
      data: { type: 'order.created', ...payload },
      jobId: subscriberJobId(payload.orderId),
    },
  };
};

/**
 * The same publication for a message that reached the outbound queue: rows relayed before the relay
 * published this topic itself, or re-enqueued by the outbox sweeper.
 */
export const orderCreatedProcessor: OutboundProcessor = async (ctx, job) => {
  const publication = orderCreatedPublisher(ctx, {
    outboxId: job.outboxId,
    orderId: job.orderId ?? null,
    payload: job.payload,
  });
  if (!publication.sent) return publication;
  const { queue, name, data, jobId } = publication.job;
  await queue.add(name, data, { jobId });
  return { sent: true, message: publication.message };
};

/** Downstream subscribers as an outbound-only integration: it receives no inbound events. */
export const subscribersIntegration: Integration = {
  source: SUBSCRIBERS_SOURCE,
  handleEvent: refuseInboundEvents('subscribers'),
  published: { [ORDER_CREATED_TOPIC]: orderCreatedPublisher },
  outbound: { [ORDER_CREATED_TOPIC]: orderCreatedProcessor },
};
