import { z } from 'zod';
import { providerRequest } from '../http.js';
import type { OutboundProcessor, Publisher } from '../types.js';
import { DELIVERY_SIGNATURE_HEADER, deliverySignature } from './signature.js';

export const DELIVERY_REQUESTED = 'delivery.requested';

const deliveryPayloadSchema = z.looseObject({ orderId: z.uuid() });

/**
 * Hands an order to the delivery domain: POST the outbox payload to DELIVERY_WEBHOOK_URL with an
 * idempotency key stable across retries (one per order), signed in X-Ordergate-Signature under
 * DELIVERY_WEBHOOK_SECRET (and DELIVERY_WEBHOOK_SECRET_NEXT) at each attempt, so a retry hours later
 * carries a fresh timestamp a receiver accepts. 5xx, timeouts and 429 retry on the outbound queue;
 * other 4xx fail at once into attention. Without DELIVERY_WEBHOOK_URL nothing is sent and the timeline says
 * "not sent (not configured)": it does not pretend the delivery domain has the order. (The relay settles such
 * a message itself; this branch serves a job enqueued before the URL was unset.)
 */
export const deliveryRequestedProcessor: OutboundProcessor = async (ctx, job) => {
  const payload = deliveryPayloadSchema.parse(job.payload);
  const url = ctx.config.DELIVERY_WEBHOOK_URL;
  if (!url) return { sent: false, message: NOT_CONFIGURED };
  const body = JSON.stringify({ type: DELIVERY_REQUESTED, ...payload });
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
    idempotencyKey: `delivery-requested-${payload.orderId}`,
  });
  return { sent: true, message: `POSTed to the delivery domain` };
};

const NOT_CONFIGURED = 'DELIVERY_WEBHOOK_URL is not configured';

/**
 * Without DELIVERY_WEBHOOK_URL there is nothing to send: the relay settles the message "not sent" in the pass
 * that claims it (an outbound job would only record the same). With it, the message goes to its outbound job.
 */
export const deliveryRequestedPublisher: Publisher = (ctx, message) => {
  deliveryPayloadSchema.parse(message.payload);
  return ctx.config.DELIVERY_WEBHOOK_URL ? undefined : { sent: false, message: NOT_CONFIGURED };
};
