/**
 * Reconciliation's part for OneBasket: provider orders still Sent long after their creation (the provider
 * never answered, or never got the order: its dispatch went dead) each get an intervention, so a person
 * contacts the provider. The entry is resolved by itself when the provider answers.
 */
import { openIntervention } from '../../orders/interventions.js';
import type { WorkerContext } from '../types.js';

/** Entries one run opens at most; the rest are found by the next run. */
const MAX_PER_RUN = 500;

export const unansweredCause = (providerOrderId: string) => `provider_order_unanswered:${providerOrderId}`;

export async function reconcileProviderOrders(
  ctx: WorkerContext,
  window: { since: Date; until: Date },
): Promise<Record<string, unknown>> {
  const cutoff = new Date(window.until.getTime() - ctx.config.ONEBASKET_UNANSWERED_AFTER_MS);
  const rows = await ctx.db
    .selectFrom('provider_orders')
    .innerJoin('orders', 'orders.id', 'provider_orders.order_id')
    .select([
      'provider_orders.id',
      'provider_orders.order_id',
      'provider_orders.provider_id',
      'provider_orders.created_at',
      'provider_orders.delivered_at',
      'orders.order_number',
    ])
    .where('provider_orders.processing_state', '=', 'sent')
    .where('provider_orders.created_at', '<', cutoff)
    .orderBy('provider_orders.created_at')
    .limit(MAX_PER_RUN)
    .execute();
  for (const row of rows) {
    const reached = row.delivered_at ? 'has it but never confirmed or rejected it' : 'never received it';
    await openIntervention(ctx.db, {
      source: 'reconciliation',
      causeKey: unansweredCause(row.id),
      orderId: row.order_id,
      summary: `${row.provider_id} ${reached}: provider order ${row.id} of order ${row.order_number}, sent ${row.created_at.toISOString()}`,
      details: { providerOrderId: row.id, providerId: row.provider_id, delivered: row.delivered_at !== null },
      actions: ['contact_provider', 'review_order', 'resolve'],
    });
  }
  return { unansweredProviderOrders: rows.length };
}
