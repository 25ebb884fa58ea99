import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { listPage, pageQuery, parseQuery, timestampInput, validate } from '../../http/input.js';
import { AppError } from '../../lib/errors.js';
import { findOrderById } from '../../orders/locks.js';
import { countOrderItems, ORDER_DETAIL_ITEMS, orderItemsPage } from '../../orders/order-items.js';
import { listProviderOrders } from '../../orders/provider-orders.js';
import { getOrderDetail, searchOrders, shippingStatuses, toItemDto } from '../../orders/queries.js';
import { orderStatuses, paymentStatuses } from '../../orders/status.js';

const csvOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

const minor = z.coerce.number().int().nonnegative();

export const orderListQuery = z
  .object({
    channel: z.string().min(1).max(64).optional(),
    status: csvOf(orderStatuses).optional(),
    paymentStatus: csvOf(paymentStatuses).optional(),
    externalOrderId: z.string().min(1).max(200).optional(),
    orderNumber: z.string().min(1).max(64).optional(),
    customerId: z.uuid().optional(),
    shippingStatus: csvOf(shippingStatuses).optional(),
    /** Free text: order number part, external id or reference, customer name, email or phone. */
    q: z.string().trim().min(3).max(200).optional(),
    from: timestampInput.optional(),
    to: timestampInput.optional(),
    minTotal: minor.optional(),
    maxTotal: minor.optional(),
    ...pageQuery({ defaultLimit: 50, maxLimit: 200 }),
  })
  .strict();

export const orderIdParam = z.object({ id: z.uuid() });

/** A page of an order's items: as many as the detail inlines by default, at most an order's 500 lines. */
export const orderItemsQuery = z
  .object(pageQuery({ defaultLimit: ORDER_DETAIL_ITEMS, maxLimit: 500 }))
  .strict();

export function registerAdminOrderRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/orders', async (c) => {
    const query = parseQuery(c, orderListQuery);
    const { data, total, totalIsEstimate } = await searchOrders(deps.db, query);
    // Past EXACT_TOTAL_LIMIT matches `total` is the planner's estimate, and totalIsEstimate says so.
    return c.json({ data, page: query.page, limit: query.limit, total, totalIsEstimate });
  });

  app.get('/admin/orders/:id', async (c) => {
    const { id } = validate(orderIdParam, c.req.param(), 'order id');
    const order = await getOrderDetail(deps.db, id);
    if (!order) throw new AppError('not_found', 'order not found', { details: { id } });
    // An order split across provider systems shows its provider orders; others are unchanged.
    const providerOrders = await listProviderOrders(deps.db, id);
    return c.json(providerOrders.length > 0 ? { ...order, providerOrders } : order);
  });

  app.get('/admin/orders/:id/items', async (c) => {
    const { id } = validate(orderIdParam, c.req.param(), 'order id');
    const query = parseQuery(c, orderItemsQuery);
    if (!(await findOrderById(deps.db, id))) {
      throw new AppError('not_found', 'order not found', { details: { id } });
    }
    return c.json(
      await listPage(
        query,
        (limit, offset) => orderItemsPage(deps.db, id, limit, offset),
        (cap) => countOrderItems(deps.db, id, cap),
        toItemDto,
      ),
    );
  });
}
