import type { Executor } from '../db/index.js';
import type { ItemsPageDto } from './dto.js';

/**
 * Items an order's detail carries inline. An order may hold hundreds of lines: the rest are read page by
 * page (`GET /admin/orders/:id/items`), so one detail answer stays small whatever the order.
 */
export const ORDER_DETAIL_ITEMS = 100;
/** Items each order of a list carries inline: a page of 200 orders stays small even when each has 500 lines. */
export const ORDER_LIST_ITEMS = 20;

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

/** The `itemsPage` of an order with `total` lines of which the first `limit` are inlined. */
export function detailItemsPage(orderId: string, total: number, limit = ORDER_DETAIL_ITEMS): ItemsPageDto {
  const next = total > limit ? `/admin/orders/${orderId}/items?page=2&limit=${limit}` : null;
  return { limit, total, next };
}

/**
 * The first `ORDER_LIST_ITEMS` lines of each order, in line order, each row with its order's line count:
 * one statement for a whole page of orders, which reads the lines' index but returns only what is inlined.
 */
export function firstItemsOfOrders(db: Executor, orderIds: string[]) {
  const ranked = db
    .selectFrom('order_items')
    .selectAll()
    .select((eb) => [
      eb.fn
        .agg<number>('row_number')
        .over((ob) => ob.partitionBy('order_id').orderBy('line_no'))
        .as('rank'),
      eb.fn
        .countAll<number>()
        .over((ob) => ob.partitionBy('order_id'))
        .as('line_count'),
    ])
    .where('order_id', 'in', orderIds);
  return db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('rank', '<=', ORDER_LIST_ITEMS)
    .orderBy('order_id')
    .orderBy('line_no')
    .execute();
}
