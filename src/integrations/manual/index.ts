import { createOrder } from '../../orders/service.js';
import { StockShortageError } from '../../orders/stock.js';
import { coreOrderActions } from '../core-actions.js';
import { publishOrderCreated } from '../subscribers/index.js';
import type { Integration } from '../types.js';
import { MANUAL_SOURCE, manualOrderSchema, registerManualRoutes } from './route.js';

/** The `manual` channel: our storefront and operators, through the same ingest → worker → orders path. */
export const manualIntegration: Integration = {
  source: MANUAL_SOURCE,
  registerRoutes: registerManualRoutes,
  orderActions: coreOrderActions,
  async handleEvent(ctx, event) {
    const order = manualOrderSchema.parse(event.payload);
    if (order.warehouse) {
      const warehouse = await ctx.db
        .selectFrom('warehouses')
        .select('code')
        .where('code', '=', order.warehouse)
        .executeTakeFirst();
      if (!warehouse) {
        return { status: 'attention', outcome: `unknown warehouse ${order.warehouse}; no order created` };
      }
    }
    try {
      const { order: created, created: isNew } = await createOrder(
        ctx.db,
        {
          channel: MANUAL_SOURCE,
          externalOrderId: order.externalOrderId,
          status: order.paid ? 'confirmed' : 'pending',
          paymentStatus: order.paid ? 'paid' : 'pending',
          currency: order.currency,
          customer: order.customer,
          items: order.items.map((item) => ({ ...item })),
          totals: { shipping: order.shippingTotal ?? 0, discount: order.discountTotal ?? 0 },
          warehouseCode: order.warehouse ?? null,
          actor: 'channel:manual',
          eventId: event.id,
        },
        publishOrderCreated,
      );
      return {
        status: 'processed',
        orderId: created.id,
        outcome: isNew ? `created ${created.order_number}` : `order ${created.order_number} already existed`,
      };
    } catch (err) {
      // All or nothing: no order and no reservation. An operator restocks (or edits the order) and replays
      // the event; retrying on its own would only fail the same way.
      if (err instanceof StockShortageError) {
        const lines = err.shortages.map(
          (s) => `${s.sku} (requested ${s.requested}, available ${s.available})`,
        );
        return {
          status: 'attention',
          outcome: `insufficient stock in warehouse ${order.warehouse}: ${lines.join(', ')}; no order created`,
        };
      }
      throw err;
    }
  },
};
