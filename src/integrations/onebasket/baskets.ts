/**
 * Basket events → basket state (the rules are `decideBasketEvent` in mapping.ts). Every event is recorded
 * on the basket's history, applied or not; a payment intent's locks are asked for and released through
 * outbox messages (one per provider), so they are durable and retried. One basket's events run one at a
 * time (a transaction-scoped advisory lock on the basket).
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/index.js';
import type { InboundEvent, OnebasketBasket } from '../../db/schema.js';
import { enqueueOutboxMany, type OutboxMessage } from '../../orders/outbox.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { ensureOrderForBasket } from './completion.js';
import { type BasketDecision, decideBasketEvent, isBasketEventType } from './mapping.js';
import { type Basket, type BasketEvent, basketEventSchema, type LockMessage } from './schema.js';
import { addBasketHistory, findBasket, lockBasket, providerBasketsOf } from './store.js';

export const TOPIC_LOCK = 'onebasket.basket.lock';
export const TOPIC_RELEASE = 'onebasket.basket.release';

export async function handleBasketEvent(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const parsed = basketEventSchema.safeParse(event.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      status: 'attention',
      outcome: `unusable OneBasket event: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    };
  }
  const basketEvent = parsed.data;
  if (!isBasketEventType(basketEvent.type)) {
    return { status: 'attention', outcome: `unknown OneBasket event type ${basketEvent.type}` };
  }
  const type = basketEvent.type;
  const basketId = basketEvent.basket.id;
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    await lockBasket(trx, basketId);
    // A job that ran to its commit but not to marking the inbox row: the event is on record already.
    const seen = await trx
      .selectFrom('onebasket_basket_history')
      .select(['applied', 'note'])
      .where('inbox_event_id', '=', event.id)
      .executeTakeFirst();
    if (seen) return `${type} already recorded`;
    const basket = await findBasket(trx, basketId, true);
    const occurredAt = new Date(basketEvent.occurredAt);
    const paymentIntentId = basketEvent.basket.paymentIntent?.id ?? null;
    const deletedBefore =
      type === 'PaymentIntentCreated' && paymentIntentId !== null
        ? await intentWasDeleted(trx, basketId, paymentIntentId)
        : false;
    const decision = decideBasketEvent(
      basket && {
        state: basket.state,
        paymentIntentId: basket.payment_intent_id,
        paymentIntentState: basket.payment_intent_state,
        contentAt: basket.content_at,
      },
      { type, occurredAt, paymentIntentId },
      deletedBefore,
    );
    await addBasketHistory(trx, {
      basketId,
      type,
      applied: decision.apply,
      note: decision.apply ? null : decision.note,
      inboxEventId: event.id,
      paymentIntentId:
        decision.apply && 'paymentIntentId' in decision ? decision.paymentIntentId : paymentIntentId,
      occurredAt,
    });
    if (!decision.apply) {
      // A basket we have heard of exists, even when nothing of what we heard could be applied.
      if (!basket) await createEmptyBasket(trx, basketEvent);
      return `${type} recorded, not applied: ${decision.note}`;
    }
    await applyDecision(trx, basket, basketEvent, decision, occurredAt);
    return `${type} applied (${decision.action})`;
  });
  // Also on a re-run: a crash between the completion's commit and the order's creation must not leave a paid
  // basket without its order.
  const orderId = type === 'BasketComplete' ? await ensureOrderForBasket(ctx, basketId, event.id) : undefined;
  if (orderId === 'empty') {
    return {
      status: 'attention',
      outcome: `${outcome}; the completed basket holds no items: no order was made`,
    };
  }
  return { status: 'processed', outcome, ...(orderId ? { orderId } : {}) };
}

async function createEmptyBasket(trx: Executor, event: BasketEvent): Promise<void> {
  await trx
    .insertInto('onebasket_baskets')
    .values({
      id: event.basket.id,
      state: 'mutable',
      currency: event.basket.currency.toUpperCase(),
      updated_at: sql`now()`,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

async function intentWasDeleted(db: Executor, basketId: string, paymentIntentId: string): Promise<boolean> {
  const row = await db
    .selectFrom('onebasket_basket_history')
    .select('id')
    .where('basket_id', '=', basketId)
    .where('type', '=', 'PaymentIntentDeleted')
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  return row !== undefined;
}

async function applyDecision(
  trx: Executor,
  basket: OnebasketBasket | undefined,
  event: BasketEvent,
  decision: Extract<BasketDecision, { apply: true }>,
  occurredAt: Date,
): Promise<void> {
  const snapshot = event.basket;
  const contentAt = basket?.content_at && basket.content_at > occurredAt ? basket.content_at : occurredAt;
  const fields = {
    currency: snapshot.currency.toUpperCase(),
    customer: JSON.stringify(snapshot.customer ?? {}),
    content_at: contentAt,
  };
  const save = (set: Record<string, unknown>) =>
    trx
      .insertInto('onebasket_baskets')
      .values({ id: snapshot.id, state: 'mutable', ...fields, ...set, updated_at: sql`now()` })
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...fields, ...set, updated_at: sql`now()` }))
      .execute();
  // A snapshot without provider baskets (an event that only names the basket) keeps the content we hold.
  const replaceContent = async (lock: { state: 'none' | 'requested'; paymentIntentId: string | null }) => {
    if (snapshot.providerBaskets.length === 0 && decision.action !== 'empty') return;
    await replaceProviderBaskets(
      trx,
      snapshot.id,
      decision.action === 'empty' ? [] : snapshot.providerBaskets,
      lock,
    );
  };

  switch (decision.action) {
    case 'content':
    case 'empty':
      await save({ state: 'mutable' });
      await replaceContent({ state: 'none', paymentIntentId: null });
      return;
    case 'open_intent': {
      // A new intent supersedes one whose deletion has not arrived yet: the old one's locks are released.
      if (basket?.state === 'immutable' && basket.payment_intent_id) {
        await releaseLocks(trx, snapshot.id, basket.payment_intent_id);
      }
      await save({
        state: 'immutable',
        payment_intent_id: decision.paymentIntentId,
        payment_intent_amount: snapshot.paymentIntent?.amount ?? null,
        payment_intent_state: 'locking',
      });
      await replaceContent({ state: 'requested', paymentIntentId: decision.paymentIntentId });
      await requestLocks(trx, snapshot.id, decision.paymentIntentId);
      return;
    }
    case 'close_intent':
      await releaseLocks(trx, snapshot.id, decision.paymentIntentId);
      await trx
        .updateTable('onebasket_baskets')
        .set({ state: 'mutable', payment_intent_state: 'deleted', updated_at: sql`now()` })
        .where('id', '=', snapshot.id)
        .execute();
      return;
    case 'complete': {
      const paid = snapshot.paymentIntent ?? null;
      const known = paid !== null && paid.id === basket?.payment_intent_id;
      await save({
        state: 'completed',
        completed_at: sql`now()`,
        ...(paid
          ? {
              payment_intent_id: paid.id,
              payment_intent_amount: paid.amount,
              // The lock answers we hold belong to another intent than the one paid.
              ...(known ? {} : { payment_intent_state: null }),
            }
          : {}),
      });
      // What the intent holding the basket held is what was paid for (and keeps its lock answers); a
      // completion that arrives before its intent, or names another intent than the one holding the basket
      // (that one was deleted, and the deletion and the paid intent's creation have not reached us), brings
      // the content itself.
      const heldIsPaid = basket?.state === 'immutable' && (paid === null || known);
      if (!heldIsPaid) await replaceContent({ state: 'none', paymentIntentId: null });
    }
  }
}

async function replaceProviderBaskets(
  trx: Executor,
  basketId: string,
  providerBaskets: Basket['providerBaskets'],
  lock: { state: 'none' | 'requested'; paymentIntentId: string | null },
): Promise<void> {
  await trx.deleteFrom('onebasket_provider_baskets').where('basket_id', '=', basketId).execute();
  // The same provider twice in one snapshot: its items are merged into one provider basket.
  const byProvider = new Map<string, Basket['providerBaskets'][number]['items']>();
  for (const pb of providerBaskets)
    byProvider.set(pb.providerId, [...(byProvider.get(pb.providerId) ?? []), ...pb.items]);
  if (byProvider.size === 0) return;
  await trx
    .insertInto('onebasket_provider_baskets')
    .values(
      [...byProvider].map(([providerId, items]) => ({
        basket_id: basketId,
        provider_id: providerId,
        items: JSON.stringify(
          items.map(({ sku, name, quantity, unitPrice }) => ({ sku, name, quantity, unitPrice })),
        ),
        lock_state: lock.state,
        lock_payment_intent_id: lock.paymentIntentId,
      })),
    )
    .execute();
}

/** Asks every provider of the basket to lock its items for the intent; a basket without any is locked at once. */
async function requestLocks(trx: Executor, basketId: string, paymentIntentId: string): Promise<void> {
  const providerBaskets = await providerBasketsOf(trx, basketId);
  await trx
    .updateTable('onebasket_provider_baskets')
    .set({
      lock_state: 'requested',
      lock_payment_intent_id: paymentIntentId,
      lock_reason: null,
      lock_answered_at: null,
    })
    .where('basket_id', '=', basketId)
    .execute();
  if (providerBaskets.length === 0) {
    await trx
      .updateTable('onebasket_baskets')
      .set({ payment_intent_state: 'locked' })
      .where('id', '=', basketId)
      .execute();
    return;
  }
  await enqueueOutboxMany(
    trx,
    providerBaskets.map(
      (pb): OutboxMessage => ({
        topic: TOPIC_LOCK,
        payload: { basketId, providerId: pb.provider_id, paymentIntentId } satisfies LockMessage,
      }),
    ),
  );
}

/**
 * Releases what providers hold (or may hold: a lock asked for may have been granted) for the intent; a
 * refused lock has nothing to release.
 */
async function releaseLocks(trx: Executor, basketId: string, paymentIntentId: string): Promise<void> {
  const held = await trx
    .updateTable('onebasket_provider_baskets')
    .set({ lock_state: 'released' })
    .where('basket_id', '=', basketId)
    .where('lock_payment_intent_id', '=', paymentIntentId)
    .where('lock_state', 'in', ['requested', 'locked'])
    .returning('provider_id')
    .execute();
  await trx
    .updateTable('onebasket_provider_baskets')
    .set({ lock_state: 'none' })
    .where('basket_id', '=', basketId)
    .where('lock_state', '=', 'refused')
    .execute();
  await enqueueOutboxMany(
    trx,
    held.map(
      (pb): OutboxMessage => ({
        topic: TOPIC_RELEASE,
        payload: { basketId, providerId: pb.provider_id, paymentIntentId } satisfies LockMessage,
      }),
    ),
  );
}
