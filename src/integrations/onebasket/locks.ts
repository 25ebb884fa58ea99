/**
 * Payment-intent locks: one outbox message per provider asks it to lock its items (`POST /basket-locks`) or
 * to release them (`DELETE /basket-locks/{basketId}`). Every call and its answer is on the basket's history,
 * failed attempts included (the outbound queue retries them). An answer is recorded only while its payment
 * intent still holds the basket; a lock granted after the intent went away is released again.
 */
import { sql } from 'kysely';
import { errorMessage } from '../../lib/errors.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import type { OutboundProcessor, WorkerContext } from '../types.js';
import { TOPIC_RELEASE } from './baskets.js';
import { releaseLock, requestLock } from './client.js';
import { intentStateFor } from './mapping.js';
import { providerTarget } from './providers.js';
import { type LockMessage, lockMessage } from './schema.js';
import { addBasketHistory, findBasket, lockBasket } from './store.js';

async function providerBasket(ctx: WorkerContext, message: LockMessage) {
  return ctx.db
    .selectFrom('onebasket_provider_baskets')
    .selectAll()
    .where('basket_id', '=', message.basketId)
    .where('provider_id', '=', message.providerId)
    .executeTakeFirst();
}

/** Runs a provider call, putting a failed attempt on the basket's history before the queue retries it. */
async function recorded<T>(
  ctx: WorkerContext,
  message: LockMessage,
  type: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    await addBasketHistory(ctx.db, {
      basketId: message.basketId,
      type,
      applied: false,
      note: `call failed: ${errorMessage(err)}`,
      paymentIntentId: message.paymentIntentId,
      providerId: message.providerId,
    });
    throw err;
  }
}

export const requestProviderLock: OutboundProcessor = async (ctx, job) => {
  const message = lockMessage.parse(job.payload);
  const basket = await findBasket(ctx.db, message.basketId);
  const pb = await providerBasket(ctx, message);
  if (
    basket?.state !== 'immutable' ||
    basket.payment_intent_id !== message.paymentIntentId ||
    pb?.lock_state !== 'requested' ||
    pb.lock_payment_intent_id !== message.paymentIntentId
  ) {
    return {
      sent: false,
      message: `payment intent ${message.paymentIntentId} no longer waits for this lock`,
    };
  }
  const answer = await recorded(ctx, message, 'lock', async () =>
    requestLock(
      await providerTarget(ctx.db, ctx.config, message.providerId),
      { basketId: message.basketId, paymentIntentId: message.paymentIntentId, items: pb.items },
      `${message.basketId}:${message.paymentIntentId}`,
    ),
  );
  const lockState = answer.locked ? 'locked' : 'refused';
  const note = answer.locked ? 'locked' : `refused: ${answer.reason}`;
  await ctx.db.transaction().execute(async (trx) => {
    await lockBasket(trx, message.basketId);
    const updated = await trx
      .updateTable('onebasket_provider_baskets')
      .set({
        lock_state: lockState,
        lock_reason: answer.locked ? null : answer.reason,
        lock_answered_at: sql`now()`,
      })
      .where('basket_id', '=', message.basketId)
      .where('provider_id', '=', message.providerId)
      .where('lock_state', '=', 'requested')
      .where('lock_payment_intent_id', '=', message.paymentIntentId)
      .returning('provider_id')
      .executeTakeFirst();
    await addBasketHistory(trx, {
      basketId: message.basketId,
      type: 'lock',
      applied: updated !== undefined,
      note: updated ? note : `${note}, after the payment intent went away`,
      paymentIntentId: message.paymentIntentId,
      providerId: message.providerId,
    });
    if (!updated) {
      // The intent was deleted or superseded while the provider answered: what it locked must not stay locked.
      if (answer.locked) await enqueueOutbox(trx, { topic: TOPIC_RELEASE, payload: { ...message } });
      return;
    }
    const locks = await trx
      .selectFrom('onebasket_provider_baskets')
      .select('lock_state')
      .where('basket_id', '=', message.basketId)
      .execute();
    await trx
      .updateTable('onebasket_baskets')
      .set({ payment_intent_state: intentStateFor(locks.map((l) => l.lock_state)), updated_at: sql`now()` })
      .where('id', '=', message.basketId)
      .where('payment_intent_id', '=', message.paymentIntentId)
      .where('state', '=', 'immutable')
      .execute();
  });
  return { sent: true, message: `${message.providerId} ${note}` };
};

export const releaseProviderLock: OutboundProcessor = async (ctx, job) => {
  const message = lockMessage.parse(job.payload);
  const pb = await providerBasket(ctx, message);
  // A newer intent asked this provider for a lock on the same basket: that request replaces the old lock,
  // and releasing now would drop the new one.
  if (
    pb?.lock_payment_intent_id &&
    pb.lock_payment_intent_id !== message.paymentIntentId &&
    (pb.lock_state === 'requested' || pb.lock_state === 'locked')
  ) {
    return { sent: false, message: 'a newer payment intent holds this lock' };
  }
  await recorded(ctx, message, 'release', async () =>
    releaseLock(await providerTarget(ctx.db, ctx.config, message.providerId), message.basketId),
  );
  await addBasketHistory(ctx.db, {
    basketId: message.basketId,
    type: 'release',
    applied: true,
    note: 'released',
    paymentIntentId: message.paymentIntentId,
    providerId: message.providerId,
  });
  return { sent: true, message: `${message.providerId} released ${message.basketId}` };
};
