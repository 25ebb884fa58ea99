import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { withProviderAnswer } from '../provider-error.js';
import type { OutboundProcessor } from '../types.js';
import { type YemeksepetiApi, type YsOrderUpdate, yemeksepetiClient } from './client.js';
import { outboundStatuses } from './mapping.js';

export const ysUpdatePayloadSchema = z.object({
  chainId: z.string().min(1).nullable().optional(),
  orderId: z.string().min(1),
  status: z.enum(outboundStatuses),
  items: z
    .array(
      z.object({
        _id: z.string().nullable().optional(),
        sku: z.string().nullable().optional(),
        status: z.enum(['IN_CART', 'NOT_FOUND']),
      }),
    )
    .optional(),
  cancellation: z.object({ reason: z.string().min(1) }).optional(),
});

/**
 * Delivers `yemeksepeti.order.update`: `PUT /v2/chains/{chain_id}/orders/{order_id}`. 5xx, timeouts and
 * 429 are retried by the outbound queue (Retry-After honoured); any other 4xx fails at once, and the
 * provider's error code and message (never the rest of its body) land on the timeline and the attention reason.
 */
export function ysUpdateProcessor(
  apiFor: (config: Parameters<typeof yemeksepetiClient>[0]) => YemeksepetiApi = yemeksepetiClient,
): OutboundProcessor {
  return async (ctx, job) => {
    const payload = ysUpdatePayloadSchema.parse(job.payload);
    const chainId = payload.chainId ?? ctx.config.YEMEKSEPETI_CHAIN_ID;
    if (!chainId) {
      throw new AppError(
        'provider_rejected',
        'no chain id for the order (client.chain_id) and no YEMEKSEPETI_CHAIN_ID',
        {
          retryable: false,
        },
      );
    }
    const body: YsOrderUpdate = { order_id: payload.orderId, status: payload.status };
    if (payload.items)
      body.items = payload.items.map((i) => ({ _id: i._id ?? null, sku: i.sku ?? null, status: i.status }));
    if (payload.cancellation) body.cancellation = payload.cancellation;
    try {
      await apiFor(ctx.config).updateOrder(chainId, body, {
        idempotencyKey: `ordergate-outbox-${job.outboxId}`,
      });
    } catch (err) {
      throw withProviderAnswer(err);
    }
  };
}
