import { z } from 'zod';
import type { Executor } from '../../db/index.js';
import type { Order, OrderEvent, OrderItem, OrderShipment } from '../../db/schema.js';
import { orderStatuses, paymentStatuses } from '../../orders/status.js';

const isoTime = z.iso.datetime();
const minor = z.int().describe('Minor units of the order currency');
const storedObject = z.record(z.string(), z.unknown());

/** The order as its customer sees it (`GET /storefront/orders/:id`); `customerOrderView` builds it. */
export const customerOrderViewSchema = z.object({
  id: z.uuid(),
  orderNumber: z.string(),
  status: z.string().describe(`One of ${orderStatuses.join(', ')}`),
  paymentStatus: z.string().describe(`One of ${paymentStatuses.join(', ')}`),
  currency: z.string(),
  subtotal: minor,
  discountTotal: minor,
  discountCode: z.string().nullable(),
  gstTotal: minor,
  shippingTotal: minor,
  total: minor,
  refundedTotal: minor,
  shippingAddress: storedObject.nullable().describe('The address given at checkout'),
  billingAddress: storedObject.nullable().describe('The address given at checkout'),
  items: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      quantity: z.int(),
      unitPrice: minor,
      gstRateBp: z.int().nullable().describe('GST rate in basis points'),
      gstAmount: minor.nullable(),
      total: minor,
    }),
  ),
  shipment: z
    .object({
      carrier: z.string(),
      trackingNumber: z.string(),
      shippedAt: isoTime,
      deliveredAt: isoTime.nullable(),
    })
    .nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type CustomerOrderView = z.output<typeof customerOrderViewSchema>;

/** One entry of the customer's timeline (`GET /storefront/orders/:id/timeline`); `publicTimeline` builds them. */
export const publicTimelineEntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('note'), message: z.string(), at: isoTime }),
  z.object({ type: z.literal('created'), status: z.string().nullable(), message: z.string(), at: isoTime }),
  z.object({ type: z.literal('status'), status: z.string(), message: z.string(), at: isoTime }),
  z.object({ type: z.literal('refund'), message: z.string(), at: isoTime }),
]);
export type PublicTimelineEntry = z.output<typeof publicTimelineEntrySchema>;

/** A stored jsonb object as the view shows it; anything else (never written by checkout) is shown as null. */
const storedObjectOrNull = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : null;

/** The order as its customer sees it: no internal flags, ids of other systems or private timeline entries. */
export function customerOrderView(
  order: Order,
  items: readonly OrderItem[],
  shipment: OrderShipment | undefined,
): CustomerOrderView {
  const attributes = order.attributes;
  return {
    id: order.id,
    orderNumber: order.order_number,
    status: order.status,
    paymentStatus: order.payment_status,
    currency: order.currency,
    subtotal: order.subtotal,
    discountTotal: order.discount_total,
    discountCode: typeof attributes.discountCode === 'string' ? attributes.discountCode : null,
    gstTotal: order.tax_total,
    shippingTotal: order.shipping_total,
    total: order.total,
    refundedTotal: order.refunded_total,
    shippingAddress: storedObjectOrNull(attributes.shippingAddress),
    billingAddress: storedObjectOrNull(attributes.billingAddress),
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

export async function loadCustomerOrderViews(
  db: Executor,
  orders: readonly Order[],
): Promise<CustomerOrderView[]> {
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
export function publicTimeline(events: readonly OrderEvent[]): PublicTimelineEntry[] {
  return events.flatMap((e): PublicTimelineEntry[] => {
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
