/**
 * Provider dispatch: one outbox message per provider order → `POST {baseUrl}/orders` with the provider order
 * id as Idempotency-Key (a retried call cannot create a second order at the provider). Every attempt is on
 * the order's timeline (the outbound worker records it). A provider that stays unreachable exhausts the
 * retries: the message goes dead, the order is flagged, and the provider order stays Sent.
 */
import { sql } from 'kysely';
import { findOrderById, getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import { withProviderAnswer } from '../provider-error.js';
import type { OutboundProcessor } from '../types.js';
import { sendOrder } from './client.js';
import { stepFor } from './mapping.js';
import { applyProviderStep } from './progress.js';
import { providerTarget } from './providers.js';
import { dispatchMessage, ONEBASKET_SOURCE } from './schema.js';
import { findProviderOrder } from './store.js';

export const dispatchProviderOrder: OutboundProcessor = async (ctx, job) => {
  const { providerOrderId } = dispatchMessage.parse(job.payload);
  const providerOrder = await findProviderOrder(ctx.db, providerOrderId);
  if (!providerOrder) return { sent: false, message: `provider order ${providerOrderId} does not exist` };
  if (providerOrder.delivered_at) return { sent: false, message: 'the provider has this order already' };
  const order = await findOrderById(ctx.db, providerOrder.order_id);
  if (!order) return { sent: false, message: `order ${providerOrder.order_id} does not exist` };
  const customer = order.customer_id
    ? await ctx.db.selectFrom('customers').selectAll().where('id', '=', order.customer_id).executeTakeFirst()
    : undefined;
  const target = await providerTarget(ctx.db, ctx.config, providerOrder.provider_id);
  const answer = await sendOrder(
    target,
    {
      providerOrderId,
      orderNumber: order.order_number,
      items: providerOrder.items,
      customer: {
        id: customer?.external_id ?? null,
        name: customer?.name ?? null,
        email: customer?.email ?? null,
        phone: customer?.phone ?? null,
      },
    },
    providerOrderId,
  ).catch((err: unknown) => {
    throw withProviderAnswer(err);
  });

  return withOrderLock(ctx.db, ONEBASKET_SOURCE, order.external_order_id, async (trx) => {
    const locked = await getOrderForUpdate(trx, order.id);
    const current = await findProviderOrder(trx, providerOrderId, true);
    if (!current) return { sent: true, message: 'the provider order vanished' };
    await trx
      .updateTable('provider_orders')
      .set({
        delivered_at: sql`now()`,
        ...(answer.accepted ? { external_ref: answer.externalRef } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', providerOrderId)
      .execute();
    if (!answer.accepted) {
      await applyProviderStep(trx, locked, current, stepFor('rejected'), {
        source: 'dispatch',
        reason: answer.reason,
      });
      return { sent: true, message: `${providerOrder.provider_id} rejected the order: ${answer.reason}` };
    }
    if (answer.status === 'confirmed') {
      await applyProviderStep(trx, locked, current, stepFor('confirmed'), { source: 'dispatch' });
    } else {
      await trx
        .insertInto('provider_order_history')
        .values({
          provider_order_id: providerOrderId,
          source: 'dispatch',
          state: 'sent',
          applied: true,
          note: `received by the provider as ${answer.externalRef}; confirmation to follow`,
        })
        .execute();
    }
    return {
      sent: true,
      message: `${providerOrder.provider_id} answered ${answer.status} (${answer.externalRef})`,
    };
  });
};
