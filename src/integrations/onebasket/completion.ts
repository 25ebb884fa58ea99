/**
 * Completion → order: a completed basket becomes one order (channel `onebasket`, external order id = the
 * basket id, paid) with one provider order per provider basket, each Sent from the start, and one dispatch
 * outbox message per provider order. Idempotent: the order's unique key and `createOrder` make a second run
 * return the first order.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { BasketItemJson } from '../../db/schema.js';
import { createOrder, type OrderItemInput } from '../../orders/create.js';
import { openIntervention } from '../../orders/interventions.js';
import { findOrderByExternalId } from '../../orders/locks.js';
import { enqueueOutboxMany } from '../../orders/outbox.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import type { WorkerContext } from '../types.js';
import { ONEBASKET_SOURCE } from './schema.js';
import { findBasket, providerBasketsOf } from './store.js';

export const TOPIC_DISPATCH = 'onebasket.provider_order.dispatch';
export const CHANNEL_ACTOR = 'channel:onebasket';

const customerOf = (json: Record<string, unknown>) => {
  const text = (key: string) => {
    const value = json[key];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return { externalId: text('id'), name: text('name'), email: text('email'), phone: text('phone') };
};

const amountOf = (items: readonly BasketItemJson[]) =>
  items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0);

/**
 * The order of a completed basket, created if it does not exist yet; undefined while the basket is not
 * completed, `empty` when the completed basket holds no items (no order is made).
 */
export async function ensureOrderForBasket(
  ctx: WorkerContext,
  basketId: string,
  eventId: string,
): Promise<string | 'empty' | undefined> {
  const basket = await findBasket(ctx.db, basketId);
  if (basket?.state !== 'completed') return undefined;
  if (basket.order_id) return basket.order_id;
  const existing = await findOrderByExternalId(ctx.db, ONEBASKET_SOURCE, basketId);
  if (existing) return existing.id;

  const providerBaskets = (await providerBasketsOf(ctx.db, basketId)).filter((pb) => pb.items.length > 0);
  // Paid for nothing: no provider has anything to do, and a person must settle the payment.
  if (providerBaskets.length === 0) return 'empty';
  const providers = await ctx.db
    .selectFrom('onebasket_providers')
    .select(['id', 'supports_callbacks'])
    .where('id', 'in', ['', ...providerBaskets.map((pb) => pb.provider_id)])
    .execute();
  const tracks = new Map(providers.map((p) => [p.id, p.supports_callbacks]));
  const items: OrderItemInput[] = providerBaskets.flatMap((pb) =>
    pb.items.map((item) => ({
      sku: item.sku,
      name: item.name,
      quantity: item.quantity,
      unitPrice: item.unitPrice,
      metadata: { providerId: pb.provider_id },
    })),
  );
  const total = amountOf(providerBaskets.flatMap((pb) => pb.items));
  const { order, created } = await createOrder(ctx.db, {
    input: {
      channel: ONEBASKET_SOURCE,
      externalOrderId: basketId,
      status: 'pending',
      paymentStatus: 'paid',
      currency: basket.currency,
      customer: customerOf(basket.customer),
      items,
      totals: { subtotal: total, total },
      attributes: {
        onebasket: {
          paymentIntentId: basket.payment_intent_id,
          paymentIntentAmount: basket.payment_intent_amount,
        },
      },
      actor: CHANNEL_ACTOR,
      eventId,
    },
    inTx: async (trx, order) => {
      const rows = providerBaskets.map((pb) => ({
        id: randomUUID(),
        order_id: order.id,
        provider_id: pb.provider_id,
        items: JSON.stringify(pb.items),
        amount: amountOf(pb.items),
        currency: basket.currency,
        tracks_fulfilment: tracks.get(pb.provider_id) ?? false,
      }));
      if (rows.length > 0) {
        await trx.insertInto('provider_orders').values(rows).execute();
        await trx
          .insertInto('provider_order_history')
          .values(
            rows.map((r) => ({
              provider_order_id: r.id,
              source: 'ordergate',
              state: 'sent',
              applied: true,
              note: 'created; sending to the provider',
            })),
          )
          .execute();
        await enqueueOutboxMany(
          trx,
          rows.map((r) => ({ orderId: order.id, topic: TOPIC_DISPATCH, payload: { providerOrderId: r.id } })),
        );
      }
      await addTimelineEvent(trx, {
        orderId: order.id,
        type: 'provider_orders',
        actor: CHANNEL_ACTOR,
        message: `split into ${rows.length} provider order(s): ${rows.map((r) => r.provider_id).join(', ') || 'none'}`,
        metadata: {
          providerOrders: rows.map((r) => ({ id: r.id, providerId: r.provider_id, amount: r.amount })),
        },
      });
      const charged = basket.payment_intent_amount;
      if (charged !== null && charged !== total) {
        // The order (and each provider's refundable share) follows the items; what was charged differs.
        await openIntervention(trx, {
          source: 'payment_mismatch',
          causeKey: `onebasket_payment_mismatch:${order.id}`,
          orderId: order.id,
          summary: `payment intent ${basket.payment_intent_id} charged ${charged} ${basket.currency}, the basket's items total ${total}`,
          details: { charged, total, paymentIntentId: basket.payment_intent_id },
          actions: ['refund', 'review_order', 'resolve'],
        });
      }
      await trx
        .updateTable('onebasket_baskets')
        .set({ order_id: order.id, updated_at: sql`now()` })
        .where('id', '=', basketId)
        .execute();
    },
  });
  if (!created) {
    await ctx.db
      .updateTable('onebasket_baskets')
      .set({ order_id: order.id })
      .where('id', '=', basketId)
      .execute();
  }
  return order.id;
}
