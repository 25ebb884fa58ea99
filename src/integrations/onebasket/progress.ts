/**
 * One provider order moves (forward only, `decideProviderStep`), and the whole order follows
 * (`orderStatusFor`, through the transition table). A Rejected provider order is compensated here, in the
 * same transaction: its share is refunded and an intervention is opened; the rest of the order goes on.
 * Callers hold the order's lock.
 */
import { sql } from 'kysely';
import type { Order, ProviderOrder } from '../../db/schema.js';
import { openIntervention, resolveInterventionByCause } from '../../orders/interventions.js';
import { getOrderForUpdate, type Trx } from '../../orders/locks.js';
import { refundOrder } from '../../orders/refund.js';
import { fulfilmentRank, isOrderStatus } from '../../orders/status.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { advanceOrder } from '../../orders/transition.js';
import { decideProviderStep, orderStatusFor, type ProviderOrderStep } from './mapping.js';
import { unansweredCause } from './reconcile.js';

export interface StepContext {
  /** `dispatch` (the answer to our call) or `callback` (the provider's event). */
  source: 'dispatch' | 'callback';
  reason?: string | null;
  inboxEventId?: string | null;
  occurredAt?: Date | null;
}

const label = (step: ProviderOrderStep) => step.state.replace('_', ' ');

export async function applyProviderStep(
  trx: Trx,
  order: Order,
  providerOrder: ProviderOrder,
  step: ProviderOrderStep,
  context: StepContext,
): Promise<{ applied: boolean; note: string }> {
  const actor = `provider:${providerOrder.provider_id}`;
  const decision = decideProviderStep(
    { processing: providerOrder.processing_state, fulfilment: providerOrder.fulfilment_state },
    step,
  );
  const history = (applied: boolean, note: string | null) =>
    trx
      .insertInto('provider_order_history')
      .values({
        provider_order_id: providerOrder.id,
        source: context.source,
        state: step.state,
        applied,
        note,
        inbox_event_id: context.inboxEventId ?? null,
        occurred_at: context.occurredAt ?? null,
      })
      .execute();
  if (!decision.apply) {
    await history(false, decision.note);
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'provider_order',
      actor,
      message: `${providerOrder.provider_id} reported ${label(step)}, recorded, not applied: ${decision.note}`,
      metadata: {
        providerOrderId: providerOrder.id,
        state: step.state,
        applied: false,
        source: context.source,
      },
    });
    return { applied: false, note: decision.note };
  }
  const { next } = decision;
  const updated = await trx
    .updateTable('provider_orders')
    .set({
      processing_state: next.processing,
      fulfilment_state: next.fulfilment,
      ...(step.state === 'rejected' ? { reason: context.reason ?? null } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', providerOrder.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const implied = step.kind === 'fulfilment' && providerOrder.processing_state === 'sent';
  await history(true, implied ? 'confirms the provider order' : (context.reason ?? null));
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'provider_order',
    actor,
    message: `${providerOrder.provider_id} order ${label(step)}${implied ? ' (confirmed by it)' : ''}${context.reason ? `: ${context.reason}` : ''}`,
    metadata: { providerOrderId: providerOrder.id, state: step.state, applied: true, source: context.source },
  });
  if (providerOrder.processing_state === 'sent') {
    await resolveInterventionByCause(trx, unansweredCause(providerOrder.id), {
      actor,
      note: `the provider answered: ${next.processing}`,
    });
  }
  await followProviderOrders(trx, order.id, actor);
  if (step.state === 'rejected') await compensate(trx, order.id, updated);
  return { applied: true, note: `${label(step)} applied` };
}

/** Moves the order to the status its provider orders give it, if that is further along. */
async function followProviderOrders(trx: Trx, orderId: string, actor: string): Promise<void> {
  const rows = await trx
    .selectFrom('provider_orders')
    .select(['processing_state', 'fulfilment_state', 'tracks_fulfilment'])
    .where('order_id', '=', orderId)
    .execute();
  const target = orderStatusFor(
    rows.map((r) => ({
      processing: r.processing_state,
      fulfilment: r.fulfilment_state,
      tracksFulfilment: r.tracks_fulfilment,
    })),
  );
  const order = await getOrderForUpdate(trx, orderId);
  if (!isOrderStatus(order.status) || fulfilmentRank[target] <= fulfilmentRank[order.status]) return;
  await advanceOrder(trx, { order, to: target, actor, reason: `provider orders: ${target}` });
}

/**
 * A rejected provider order's share is given back (a refund record on the order) and a person is asked to
 * look (contact the provider, tell the customer): one intervention per rejected provider order.
 */
async function compensate(trx: Trx, orderId: string, providerOrder: ProviderOrder): Promise<void> {
  const order = await getOrderForUpdate(trx, orderId);
  const refundable = order.total - order.refunded_total;
  const amount = Math.min(providerOrder.amount, refundable);
  const paid = order.payment_status === 'paid' || order.payment_status === 'partially_refunded';
  if (amount > 0 && paid) {
    await refundOrder(trx, {
      order,
      amount,
      actor: 'ordergate',
      reason: `refund of ${providerOrder.provider_id}'s share: the provider rejected its order`,
      items: providerOrder.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
      metadata: { providerOrderId: providerOrder.id, providerId: providerOrder.provider_id },
    });
  }
  await openIntervention(trx, {
    source: 'provider_order_rejected',
    causeKey: `provider_order_rejected:${providerOrder.id}`,
    orderId,
    summary: `${providerOrder.provider_id} rejected its part of order ${order.order_number}${providerOrder.reason ? `: ${providerOrder.reason}` : ''}; ${amount} ${order.currency} refunded`,
    details: {
      providerOrderId: providerOrder.id,
      providerId: providerOrder.provider_id,
      reason: providerOrder.reason,
      refunded: paid ? amount : 0,
    },
    actions: ['contact_provider', 'review_order', 'resolve'],
  });
}
