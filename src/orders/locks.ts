import { sql, type Transaction } from 'kysely';
import { inTransaction } from '../db/after-commit.js';
import type { Db, Executor } from '../db/index.js';
import type { Database, Order } from '../db/schema.js';
import { AppError } from '../lib/errors.js';

export type Trx = Transaction<Database>;

/** Names one order by its channel's id for it. */
export interface ExternalOrderKey {
  channel: string;
  externalOrderId: string;
}

/** The lock and lookup key of one external order. */
export function externalKey(channel: string, externalOrderId: string): string {
  return `${channel.length}:${channel}:${externalOrderId}`;
}

/**
 * Serialises every command on one external order: a transaction-scoped advisory lock on (channel, external
 * id). Two first events for the same order therefore never race to create it; the unique constraint on
 * (channel, external_order_id) is the backstop.
 */
export async function lockExternalOrder(
  trx: Executor,
  channel: string,
  externalOrderId: string,
): Promise<void> {
  await lockExternalOrders(trx, [externalKey(channel, externalOrderId)]);
}

/** The external orders' advisory locks in one statement, in hash order so that batches never deadlock. */
export async function lockExternalOrders(trx: Executor, keys: readonly string[]): Promise<void> {
  await sql`
    select pg_advisory_xact_lock(h)
    from (select distinct hashtextextended(k, 0) as h from unnest(${keys}::text[]) as k order by 1) as locks`.execute(
    trx,
  );
}

/** Runs `fn` in one transaction holding the external order's lock. */
export function withOrderLock<T>(
  db: Db,
  channel: string,
  externalOrderId: string,
  fn: (trx: Trx) => Promise<T>,
): Promise<T> {
  return inTransaction(db, async (trx) => {
    await lockExternalOrder(trx, channel, externalOrderId);
    return fn(trx);
  });
}

export function findOrderByExternalId(
  db: Executor,
  channel: string,
  externalOrderId: string,
  forUpdate = false,
): Promise<Order | undefined> {
  let query = db
    .selectFrom('orders')
    .selectAll()
    .where('channel', '=', channel)
    .where('external_order_id', '=', externalOrderId);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Orders by (channel, external order id), in one statement. */
export function findOrdersByExternalIds(db: Executor, keys: readonly ExternalOrderKey[]): Promise<Order[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('orders')
    .selectAll()
    .where(
      sql<boolean>`(channel, external_order_id) in (select * from unnest(${keys.map((k) => k.channel)}::text[], ${keys.map((k) => k.externalOrderId)}::text[]))`,
    )
    .execute();
}

export function findOrderById(db: Executor, id: string, forUpdate = false): Promise<Order | undefined> {
  let query = db.selectFrom('orders').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function getOrderForUpdate(trx: Executor, id: string): Promise<Order> {
  const order = await findOrderById(trx, id, true);
  if (!order) throw new AppError('not_found', 'order not found', { details: { orderId: id } });
  return order;
}

/** The order changed since the caller read it (it did not hold the order's lock): reload and retry. */
export function staleOrderError(orderId: string): AppError {
  return new AppError('conflict', 'the order changed while this command ran; reload it and retry', {
    details: { orderId },
    retryable: true,
  });
}
