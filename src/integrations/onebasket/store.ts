/** OneBasket's tables: baskets, their provider baskets and history, provider orders. */
import { sql } from 'kysely';
import type { Executor } from '../../db/index.js';
import type { OnebasketBasket, OnebasketProviderBasket, ProviderOrder } from '../../db/schema.js';

/** Serialises everything done to one basket, for the rest of the caller's transaction. */
export async function lockBasket(trx: Executor, basketId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`onebasket-basket:${basketId}`}, 0))`.execute(
    trx,
  );
}

export function findBasket(
  db: Executor,
  id: string,
  forUpdate = false,
): Promise<OnebasketBasket | undefined> {
  let query = db.selectFrom('onebasket_baskets').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function providerBasketsOf(db: Executor, basketId: string): Promise<OnebasketProviderBasket[]> {
  return db
    .selectFrom('onebasket_provider_baskets')
    .selectAll()
    .where('basket_id', '=', basketId)
    .orderBy('provider_id')
    .execute();
}

export interface HistoryEntry {
  basketId: string;
  type: string;
  applied: boolean;
  note?: string | null;
  inboxEventId?: string | null;
  paymentIntentId?: string | null;
  providerId?: string | null;
  occurredAt?: Date | null;
}

export async function addBasketHistory(db: Executor, entry: HistoryEntry): Promise<void> {
  await db
    .insertInto('onebasket_basket_history')
    .values({
      basket_id: entry.basketId,
      type: entry.type,
      applied: entry.applied,
      note: entry.note ?? null,
      inbox_event_id: entry.inboxEventId ?? null,
      payment_intent_id: entry.paymentIntentId ?? null,
      provider_id: entry.providerId ?? null,
      occurred_at: entry.occurredAt ?? null,
    })
    .execute();
}

export function findProviderOrder(
  db: Executor,
  id: string,
  forUpdate = false,
): Promise<ProviderOrder | undefined> {
  let query = db.selectFrom('provider_orders').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}
