/**
 * Provider events in: a provider's processing and fulfilment events about one of its provider orders,
 * applied forward only (`applyProviderStep`); duplicates, late and contradicting events are recorded on the
 * provider order's history and the order's timeline, not applied.
 */
import type { InboundEvent } from '../../db/schema.js';
import { getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { stepFor } from './mapping.js';
import { applyProviderStep } from './progress.js';
import { ONEBASKET_SOURCE, providerEventSchema } from './schema.js';
import { findProviderOrder } from './store.js';

/** Provider events are stored as `provider.<type>`, deduplicated on `provider:<providerId>:<eventId>`. */
export const PROVIDER_EVENT_PREFIX = 'provider.';
export const PROVIDER_DEDUP_PREFIX = 'provider:';

export async function handleProviderEvent(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const parsed = providerEventSchema.safeParse(event.payload);
  if (!parsed.success) return { status: 'attention', outcome: 'unusable provider event' };
  const providerEvent = parsed.data;
  const providerId = typeof event.meta.providerId === 'string' ? event.meta.providerId : undefined;
  const providerOrder = await findProviderOrder(ctx.db, providerEvent.providerOrderId);
  if (!providerOrder || providerOrder.provider_id !== providerId) {
    // Said by a provider about an order that is not its own (or not ours): never applied.
    return {
      status: 'attention',
      outcome: `provider ${providerId ?? '(unknown)'} reported on provider order ${providerEvent.providerOrderId}, which is not one of its orders`,
    };
  }
  const order = await ctx.db
    .selectFrom('orders')
    .select('external_order_id')
    .where('id', '=', providerOrder.order_id)
    .executeTakeFirstOrThrow();
  return withOrderLock(ctx.db, ONEBASKET_SOURCE, order.external_order_id, async (trx) => {
    const seen = await trx
      .selectFrom('provider_order_history')
      .select('id')
      .where('inbox_event_id', '=', event.id)
      .executeTakeFirst();
    const done = (outcome: string): HandlerResult => ({
      status: 'processed',
      orderId: providerOrder.order_id,
      outcome,
    });
    if (seen) return done(`${providerEvent.type} already recorded`);
    const locked = await getOrderForUpdate(trx, providerOrder.order_id);
    const current = await findProviderOrder(trx, providerOrder.id, true);
    if (!current) return done('the provider order vanished');
    const result = await applyProviderStep(trx, locked, current, stepFor(providerEvent.type), {
      source: 'callback',
      reason: providerEvent.reason ?? null,
      inboxEventId: event.id,
      occurredAt: new Date(providerEvent.occurredAt),
    });
    return done(
      `${providerId} ${providerEvent.type}: ${result.applied ? 'applied' : `recorded, not applied (${result.note})`}`,
    );
  });
}
