import type { Executor } from '../../db/index.js';
import type { Order, OrderEvent, OrderItem, OrderShipment } from '../../db/schema.js';

/** The order as its customer sees it: no internal flags, ids of other systems or private timeline entries. */
export function customerOrderView(
  order: Order,
  items: readonly OrderItem[],
  shipment: OrderShipment | undefined,
) {
  const attributes = order.attributes;
  return {
    id: order.id,
    orderNumber: order.order_number,
    status: order.status,
    paymentStatus: order.payment_status,
    currency: order.currency,
    subtotal: order.subtotal,
    discountTotal: order.discount_total,
    discountCode: attributes.discountCode ?? null,
    gstTotal: order.tax_total,
    shippingTotal: order.shipping_total,
    total: order.total,
    refundedTotal: order.refunded_total,
    shippingAddress: attributes.shippingAddress ?? null,
    billingAddress: attributes.billingAddress ?? null,
    items: items.map((i) => ({
      sku: i.sku,
      name: i.name,
      quantity: i.quantity,
      unitPrice: i.unit_price,
      gstRateBp: i.tax_rate_bp,
      gstAmount: typeof i.metadata.gstAmount === 'number' ? i.metadata.gstAmount : null,
      total: i.total_price,
    })),
    shipment: shipment
      ? {
          carrier: shipment.carrier,
          trackingNumber: shipment.tracking_number,
          shippedAt: shipment.shipped_at.toISOString(),
          deliveredAt: shipment.delivered_at ? shipment.delivered_at.toISOString() : null,
        }
      : null,
    createdAt: order.created_at.toISOString(),
    updatedAt: order.updated_at.toISOString(),
  };
}

export async function loadCustomerOrderViews(db: Executor, orders: readonly Order[]) {
  const ids = orders.map((o) => o.id);
  if (ids.length === 0) return [];
  const [items, shipments] = await Promise.all([
    db.selectFrom('order_items').selectAll().where('order_id', 'in', ids).orderBy('line_no').execute(),
    db.selectFrom('order_shipments').selectAll().where('order_id', 'in', ids).execute(),
  ]);
  return orders.map((o) =>
    customerOrderView(
      o,
      items.filter((i) => i.order_id === o.id),
      shipments.find((s) => s.order_id === o.id),
    ),
  );
}

/** Timeline entries a customer may read: status changes (without the operator's words) and public notes. */
export function publicTimeline(events: readonly OrderEvent[]) {
  return events.flatMap((e) => {
    const at = e.created_at.toISOString();
    if (e.type === 'note_added') {
      return e.metadata.isPublic === true ? [{ type: 'note', message: e.message, at }] : [];
    }
    if (e.type === 'created') return [{ type: 'created', status: e.to_status, message: 'order placed', at }];
    if (e.to_status && ['status_changed', 'cancelled', 'refunded'].includes(e.type)) {
      return [{ type: 'status', status: e.to_status, message: `order ${e.to_status}`, at }];
    }
    if (e.type === 'refunded') return [{ type: 'refund', message: 'refund issued', at }];
    return [];
  });
}
