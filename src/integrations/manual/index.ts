import { createOrder } from '../../orders/service.js';
import type { Integration } from '../types.js';
import { MANUAL_SOURCE, manualOrderSchema, registerManualRoutes } from './route.js';

/** The `manual` channel: our storefront and operators, through the same ingest → worker → orders path. */
export const manualIntegration: Integration = {
  source: MANUAL_SOURCE,
  registerRoutes: registerManualRoutes,
  async handleEvent(ctx, event) {
    const order = manualOrderSchema.parse(event.payload);
    const { order: created, created: isNew } = await createOrder(ctx.db, {
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
    });
    return {
      status: 'processed',
      orderId: created.id,
      outcome: isNew ? `created ${created.order_number}` : `order ${created.order_number} already existed`,
    };
  },
};
