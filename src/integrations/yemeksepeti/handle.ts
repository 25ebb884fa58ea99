import type { InboundEvent } from '../../db/schema.js';
import { attention } from '../kit/results.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { cancelFlow } from './cancel.js';
import { createFlow } from './create.js';
import { flowFor, type YsStatus } from './mapping.js';
import { ysEventMetaSchema, ysOrderSchema } from './schema.js';
import { syncFlow, unknownStatus } from './status.js';

/**
 * The worker side of the webhook: one body for every change, routed by its `status` to the flow that
 * handles it. Idempotent.
 */
export async function handleYemeksepetiEvent(
  ctx: WorkerContext,
  event: InboundEvent,
): Promise<HandlerResult> {
  const parsed = ysOrderSchema.safeParse(event.payload);
  if (!parsed.success) {
    return attention(
      `invalid Yemeksepeti order body: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const order = parsed.data;
  const meta = ysEventMetaSchema.parse(event.meta ?? {});
  switch (flowFor(order.status)) {
    case 'create':
      return createFlow(ctx, event, order, meta);
    case 'cancel':
      return cancelFlow(ctx, event, order, meta);
    case 'sync':
      return syncFlow(ctx, event, order, order.status as YsStatus, meta);
    default:
      return unknownStatus(ctx, event, order);
  }
}
