import { z } from 'zod';
import { providerRequest } from '../http.js';
import type { OutboundProcessor, Publisher } from '../types.js';
import { DELIVERY_SIGNATURE_HEADER, deliverySignature } from './signature.js';

export const DELIVERY_REQUESTED = 'delivery.requested';
export const DELIVERY_UPDATED = 'delivery.updated';

const requestedPayloadSchema = z.looseObject({ orderId: z.uuid() });
const updatedPayloadSchema = z.looseObject({
  orderId: z.uuid(),
  revision: z.number().int().positive(),
  items: z.array(z.looseObject({ sku: z.string() })),
});

/** One delivery message: its topic, its payload's schema and its idempotency key, stable across retries. */
interface DeliveryMessage<T extends { orderId: string }> {
  topic: string;
  payload: z.ZodType<T>;
  idempotencyKey: (payload: T) => string;
}

/**
 * Sends a delivery message: POST the outbox payload to DELIVERY_WEBHOOK_URL with its idempotency key, signed
 * in X-Ordergate-Signature under DELIVERY_WEBHOOK_SECRET (and DELIVERY_WEBHOOK_SECRET_NEXT) at each attempt,
 * so a retry hours later carries a fresh timestamp a receiver accepts. 5xx, timeouts and 429 retry on the
 * outbound queue; other 4xx fail at once into attention. Without DELIVERY_WEBHOOK_URL nothing is sent and the
 * timeline says "not sent (not configured)": it does not pretend the delivery domain has the order. (The relay
 * settles such a message itself; this branch serves a job enqueued before the URL was unset.)
 */
function deliveryProcessor<T extends { orderId: string }>(message: DeliveryMessage<T>): OutboundProcessor {
  return async (ctx, job) => {
    const payload = message.payload.parse(job.payload);
    const url = ctx.config.DELIVERY_WEBHOOK_URL;
    if (!url) return { sent: false, message: NOT_CONFIGURED };
    const body = JSON.stringify({ type: message.topic, ...payload });
    const { DELIVERY_WEBHOOK_SECRET, DELIVERY_WEBHOOK_SECRET_NEXT } = ctx.config;
    const signature = deliverySignature(
      body,
      [DELIVERY_WEBHOOK_SECRET, DELIVERY_WEBHOOK_SECRET_NEXT],
      new Date(),
    );
    await providerRequest({
      provider: 'delivery',
      method: 'POST',
      url,
      body,
      headers: {
        'content-type': 'application/json',
        ...(signature ? { [DELIVERY_SIGNATURE_HEADER]: signature } : {}),
      },
      idempotencyKey: message.idempotencyKey(payload),
    });
    return { sent: true, message: `POSTed to the delivery domain` };
  };
}

const NOT_CONFIGURED = 'DELIVERY_WEBHOOK_URL is not configured';

/**
 * Without DELIVERY_WEBHOOK_URL there is nothing to send: the relay settles the message "not sent" in the pass
 * that claims it (an outbound job would only record the same). With it, the message goes to its outbound job.
 */
function deliveryPublisher<T extends { orderId: string }>(message: DeliveryMessage<T>): Publisher {
  return (ctx, outbox) => {
    message.payload.parse(outbox.payload);
    return ctx.config.DELIVERY_WEBHOOK_URL ? undefined : { sent: false, message: NOT_CONFIGURED };
  };
}

/** The hand-off of an order: one per order, so its key is the order's. */
const requested: DeliveryMessage<z.infer<typeof requestedPayloadSchema>> = {
  topic: DELIVERY_REQUESTED,
  payload: requestedPayloadSchema,
  idempotencyKey: (payload) => `delivery-requested-${payload.orderId}`,
};

/** A change of the lines to deliver: one per order and revision, so its key carries both. */
const updated: DeliveryMessage<z.infer<typeof updatedPayloadSchema>> = {
  topic: DELIVERY_UPDATED,
  payload: updatedPayloadSchema,
  idempotencyKey: (payload) => `delivery-updated-${payload.orderId}-${payload.revision}`,
};

export const deliveryRequestedProcessor = deliveryProcessor(requested);
export const deliveryRequestedPublisher = deliveryPublisher(requested);
export const deliveryUpdatedProcessor = deliveryProcessor(updated);
export const deliveryUpdatedPublisher = deliveryPublisher(updated);
