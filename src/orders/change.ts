import { sql, type Updateable } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order, OrdersTable } from '../db/schema.js';
import { addTimelineEvent, type TimelineEntry } from './timeline.js';

/** Sets fields of one order and records the change on its timeline, in the caller's transaction. */
export async function changeOrder(
  trx: Executor,
  orderId: string,
  set: Updateable<OrdersTable>,
  entry: Omit<TimelineEntry, 'orderId'>,
): Promise<Order> {
  const updated = await trx
    .updateTable('orders')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await addTimelineEvent(trx, { orderId, ...entry });
  return updated;
}

/** Who acts on an order and why: every command that changes an order records these on its timeline. */
export interface CommandContext {
  actor: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}
