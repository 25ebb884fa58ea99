/**
 * The provider orders an order is split into (a basket platform's order holds one per provider system),
 * with each one's own history, as the admin API shows them.
 */
import type { Executor } from '../db/index.js';

export interface ProviderOrderDto {
  id: string;
  providerId: string;
  items: unknown[];
  amount: number;
  currency: string;
  externalRef: string | null;
  processing: string;
  fulfilment: string | null;
  tracksFulfilment: boolean;
  reason: string | null;
  deliveredAt: Date | null;
  history: {
    source: string;
    state: string;
    applied: boolean;
    note: string | null;
    occurredAt: Date | null;
    at: Date;
  }[];
}

/** The order's provider orders (by provider id), each with its history; empty for an order that has none. */
export async function listProviderOrders(db: Executor, orderId: string): Promise<ProviderOrderDto[]> {
  const rows = await db
    .selectFrom('provider_orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('provider_id')
    .execute();
  if (rows.length === 0) return [];
  const history = await db
    .selectFrom('provider_order_history')
    .selectAll()
    .where(
      'provider_order_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    providerId: r.provider_id,
    items: r.items,
    amount: r.amount,
    currency: r.currency,
    externalRef: r.external_ref,
    processing: r.processing_state,
    fulfilment: r.fulfilment_state,
    tracksFulfilment: r.tracks_fulfilment,
    reason: r.reason,
    deliveredAt: r.delivered_at,
    history: history
      .filter((h) => h.provider_order_id === r.id)
      .map((h) => ({
        source: h.source,
        state: h.state,
        applied: h.applied,
        note: h.note,
        occurredAt: h.occurred_at,
        at: h.created_at,
      })),
  }));
}
