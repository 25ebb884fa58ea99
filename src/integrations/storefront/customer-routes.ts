import type { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import type { Order } from '../../db/schema.js';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import {
  pageAnswerSchema,
  pageOffset,
  pageQuery,
  parseQuery,
  readJsonBody,
  readOptionalJsonBody,
  validate,
} from '../../http/input.js';
import { AppError, RuleViolation } from '../../lib/errors.js';
import { getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import { orderStatuses } from '../../orders/status.js';
import { listTimeline } from '../../orders/timeline.js';
import { customerOf } from './customer-auth.js';
import { cancelOrder, customerCancellable, requestRefund } from './lifecycle.js';
import { cancelReasonBody, customerRefundBody, STOREFRONT_SOURCE } from './schema.js';
import {
  type CustomerOrderView,
  customerOrderViewSchema,
  loadCustomerOrderViews,
  publicTimeline,
  publicTimelineEntrySchema,
} from './views.js';

export const idParam = z.object({ id: z.uuid() });
export const listQuery = z
  .object({ status: z.enum(orderStatuses).optional(), ...pageQuery({ defaultLimit: 20, maxLimit: 100 }) })
  .strict();

/** `GET /storefront/orders`: a page of the customer's orders. */
export const customerOrderListAnswerSchema = pageAnswerSchema(customerOrderViewSchema);
/** `GET /storefront/orders/:id/timeline`. */
export const customerTimelineAnswerSchema = z.object({ data: z.array(publicTimelineEntrySchema) });
/** `POST /storefront/orders/:id/refund`: the request is recorded; an operator decides. */
export const refundRequestAnswerSchema = z.object({
  refundRequestId: z.uuid(),
  status: z.literal('requested'),
});

/** The storefront's orders of this customer (by the JWT's `sub`). */
function customerOrders(db: Db, customerId: string) {
  return db
    .selectFrom('orders')
    .innerJoin('customers', 'customers.id', 'orders.customer_id')
    .selectAll('orders')
    .where('orders.channel', '=', STOREFRONT_SOURCE)
    .where('customers.channel', '=', STOREFRONT_SOURCE)
    .where('customers.external_id', '=', customerId);
}

/** The customer's own order; someone else's is answered exactly like one that does not exist. */
async function ownOrder(db: Db, customerId: string, id: string): Promise<Order> {
  const order = await customerOrders(db, customerId).where('orders.id', '=', id).executeTakeFirst();
  if (!order) throw new AppError('not_found', 'order not found', { details: { id } });
  return order;
}

/** The customer's own order as they see it. */
async function ownOrderView(db: Db, customerId: string, id: string): Promise<CustomerOrderView> {
  const [view] = await loadCustomerOrderViews(db, [await ownOrder(db, customerId, id)]);
  if (!view) throw new AppError('not_found', 'order not found', { details: { id } });
  return view;
}

/** The customer's APIs: list, read, public timeline, cancel while eligible, refund request. */
export function registerCustomerRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.get('/storefront/orders', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const q = parseQuery(c, listQuery);
    let query = customerOrders(deps.db, customerId);
    if (q.status) query = query.where('orders.status', '=', q.status);
    const [rows, count] = await Promise.all([
      query
        .orderBy('orders.created_at', 'desc')
        .orderBy('orders.id', 'desc')
        .limit(q.limit)
        .offset(pageOffset(q))
        .execute(),
      query
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow(),
    ]);
    const data = await loadCustomerOrderViews(deps.db, rows);
    return c.json({
      data,
      page: q.page,
      limit: q.limit,
      total: Number(count.total),
    } satisfies z.output<typeof customerOrderListAnswerSchema>);
  });

  app.get('/storefront/orders/:id', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const { id } = validate(idParam, c.req.param(), 'path');
    return c.json(await ownOrderView(deps.db, customerId, id));
  });

  app.get('/storefront/orders/:id/timeline', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const { id } = validate(idParam, c.req.param(), 'path');
    const order = await ownOrder(deps.db, customerId, id);
    return c.json({
      data: publicTimeline(await listTimeline(deps.db, order.id)),
    } satisfies z.output<typeof customerTimelineAnswerSchema>);
  });

  app.post('/storefront/orders/:id/cancel', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const { id } = validate(idParam, c.req.param(), 'path');
    const { reason } = validate(cancelReasonBody, await readOptionalJsonBody(c));
    const found = await ownOrder(deps.db, customerId, id);
    await withOrderLock(deps.db, STOREFRONT_SOURCE, found.external_order_id, async (trx) => {
      const order = await getOrderForUpdate(trx, id);
      if (!customerCancellable.has(order.status)) {
        throw new RuleViolation(
          'not_cancellable',
          `an order that is ${order.status} can no longer be cancelled by the customer`,
        );
      }
      await cancelOrder(trx, order, {
        actor: `customer:${customerId}`,
        reason: reason ?? 'cancelled by the customer',
      });
    });
    return c.json(await ownOrderView(deps.db, customerId, id));
  });

  app.post('/storefront/orders/:id/refund', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const { id } = validate(idParam, c.req.param(), 'path');
    const body = validate(customerRefundBody, (await readJsonBody(c)).json);
    const found = await ownOrder(deps.db, customerId, id);
    const refundRequestId = await withOrderLock(
      deps.db,
      STOREFRONT_SOURCE,
      found.external_order_id,
      async (trx) =>
        requestRefund(trx, await getOrderForUpdate(trx, id), { actor: `customer:${customerId}`, ...body }),
    );
    return c.json(
      { refundRequestId, status: 'requested' } satisfies z.output<typeof refundRequestAnswerSchema>,
      202,
    );
  });
}
