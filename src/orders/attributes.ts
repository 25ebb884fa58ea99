import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';

export interface PatchAttributesInput {
  order: Order;
  /** The channel's key in `orders.attributes`; the other keys are kept as they are. */
  key: string;
  patch: Record<string, unknown>;
  /** Keys removed from the channel's attributes after the patch. */
  remove?: readonly string[];
}

/** Merges `patch` into one channel's attributes of the order (`orders.attributes[key]`). */
export function patchOrderAttributes(trx: Executor, input: PatchAttributesInput): Promise<Order> {
  const { order, key } = input;
  const current = order.attributes[key];
  const next: Record<string, unknown> = {
    ...(current !== null && typeof current === 'object' ? current : {}),
    ...input.patch,
  };
  for (const name of input.remove ?? []) delete next[name];
  return trx
    .updateTable('orders')
    .set({ attributes: { ...order.attributes, [key]: next }, updated_at: sql`now()` })
    .where('id', '=', order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
