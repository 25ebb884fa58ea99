import { z } from 'zod';
import type { OutboundProcessor, Publication, Publisher } from '../types.js';

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
