/**
 * A checkout's order holds its stock only while the customer can still pay: an order still unpaid when the
 * payment window closes is cancelled, which returns its reserved stock to the shelf.
 */
import type { Db } from '../../db/index.js';
import { getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import type { MaintenanceProcessor } from '../types.js';
import { cancelOrder } from './lifecycle.js';
import { STOREFRONT_SOURCE } from './schema.js';

export const EXPIRE_UNPAID_JOB = 'storefront.expire-unpaid';
const BATCH = 200;

/** Cancels storefront orders created before `olderThan` that are still pending and unpaid; returns how many. */
export async function expireUnpaidOrders(db: Db, olderThan: Date): Promise<number> {
  const due = await db
    .selectFrom('orders')
    .select(['id', 'external_order_id'])
    .where('channel', '=', STOREFRONT_SOURCE)
    .where('status', '=', 'pending')
    .where('payment_status', 'in', ['pending', 'failed'])
    .where('created_at', '<', olderThan)
    .orderBy('created_at')
    .limit(BATCH)
    .execute();
  let expired = 0;
  for (const { id, external_order_id } of due) {
    await withOrderLock(db, STOREFRONT_SOURCE, external_order_id, async (trx) => {
      const order = await getOrderForUpdate(trx, id);
      // Paid (or cancelled) while this run was on its way: the lock makes that visible here.
      if (order.status !== 'pending' || !['pending', 'failed'].includes(order.payment_status)) return;
      await cancelOrder(trx, order, { actor: 'system', reason: 'not paid within the payment window' });
      expired++;
    });
  }
  return expired;
}

export const expireUnpaidProcessor: MaintenanceProcessor = async (ctx) => {
  const olderThan = new Date(Date.now() - ctx.config.STOREFRONT_PAYMENT_WINDOW_MS);
  return { expired: await expireUnpaidOrders(ctx.db, olderThan) };
};
