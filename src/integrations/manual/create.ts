import type { InboundEvent } from '../../db/schema.js';
import { type CreateOrderInput, type CreateOrderResult, createOrder } from '../../orders/create.js';
import { StockShortageError } from '../../orders/stock.js';
import { type ChannelRef, channelOrderInput } from '../kit/orders.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { MANUAL_SOURCE, type ManualOrder, manualOrderSchema } from './schema.js';

const MANUAL: ChannelRef = { channel: MANUAL_SOURCE, actor: 'channel:manual' };

/** A manual order as the core creates it: as sent, confirmed and paid when it says it is paid. */
export function manualOrderInput(event: InboundEvent, order: ManualOrder): CreateOrderInput {
  return channelOrderInput(MANUAL, event, {
    externalOrderId: order.externalOrderId,
    status: order.paid ? 'confirmed' : 'pending',
    paymentStatus: order.paid ? 'paid' : 'pending',
    currency: order.currency,
    customer: order.customer,
    items: order.items.map((item) => ({ ...item })),
    totals: { shipping: order.shippingTotal ?? 0, discount: order.discountTotal ?? 0 },
    warehouseCode: order.warehouse ?? null,
  });
}

/** The outcome of a manual creation, alone or in a batch. */
export function createdOutcome({ order, created }: CreateOrderResult): HandlerResult {
  return {
    status: 'processed',
    orderId: order.id,
    outcome: created ? `created ${order.order_number}` : `order ${order.order_number} already existed`,
  };
}

export const unknownWarehouse = (code: string): HandlerResult => ({
  status: 'attention',
  outcome: `unknown warehouse ${code}; no order created`,
});

/** A storefront or operator order: created as sent, all or nothing (a stock shortage creates no order). */
export async function createManualOrder(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const order = manualOrderSchema.parse(event.payload);
  if (order.warehouse) {
    const warehouse = await ctx.db
      .selectFrom('warehouses')
      .select('code')
      .where('code', '=', order.warehouse)
      .executeTakeFirst();
    if (!warehouse) return unknownWarehouse(order.warehouse);
  }
  try {
    return createdOutcome(await createOrder(ctx.db, { input: manualOrderInput(event, order) }));
  } catch (err) {
    // All or nothing: no order and no reservation. An operator restocks (or edits the order) and replays
    // the event; retrying on its own would only fail the same way.
    if (err instanceof StockShortageError) {
      const lines = err.shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`);
      return {
        status: 'attention',
        outcome: `insufficient stock in warehouse ${order.warehouse}: ${lines.join(', ')}; no order created`,
      };
    }
    throw err;
  }
}
