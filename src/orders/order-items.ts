import type { Executor } from '../db/index.js';
import type { ItemsPageDto } from './dto.js';

/**
 * Items an order's detail carries inline. An order may hold hundreds of lines: the rest are read page by
 * page (`GET /admin/orders/:id/items`), so one detail answer stays small whatever the order.
 */
export const ORDER_DETAIL_ITEMS = 100;

/** The order's lines in line order, `limit` of them from `offset`. */
export function orderItemsPage(db: Executor, orderId: string, limit: number, offset: number) {
  return db
    .selectFrom('order_items')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('line_no')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** How many lines the order has (counting at most `cap`, if given). */
export function countOrderItems(db: Executor, orderId: string, cap?: number) {
  let lines = db.selectFrom('order_items').select('line_no').where('order_id', '=', orderId);
  if (cap !== undefined) lines = lines.limit(cap);
  return db
    .selectFrom(lines.as('lines'))
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
}

/** The detail's `itemsPage` for an order with `total` lines. */
export function detailItemsPage(orderId: string, total: number): ItemsPageDto {
  const limit = ORDER_DETAIL_ITEMS;
  const next = total > limit ? `/admin/orders/${orderId}/items?page=2&limit=${limit}` : null;
  return { limit, total, next };
}
