/**
 * GoFood facts in one place: the notification's lifecycle order and its mapping onto the internal status
 * model and order input (the payload itself is in schema.ts). Pure: no database.
 * The table is documented in docs/gofood.md.
 */
import type { CreateOrderInput, OrderItemInput } from '../../orders/create.js';
import type { OrderStatus } from '../../orders/status.js';
import type { GofoodNotification } from './schema.js';

export const GOFOOD_SOURCE = 'gofood';
export const EVENT_PREFIX = 'gofood.order.';

/** GoFood's lifecycle, in order. `cancelled` is terminal from any step; `completed` is the other end. */
export const lifecycleSteps = [
  'awaiting_merchant_acceptance',
  'merchant_accepted',
  'driver_otw_pickup',
  'driver_arrived',
  'completed',
  'cancelled',
] as const;
export type LifecycleStep = (typeof lifecycleSteps)[number];

export const terminalSteps: ReadonlySet<LifecycleStep> = new Set(['completed', 'cancelled']);

/** Position along GoFood's lifecycle: a step at or below the current one is late. */
export const stepRank: Readonly<Record<LifecycleStep, number>> = {
  awaiting_merchant_acceptance: 0,
  merchant_accepted: 1,
  driver_otw_pickup: 2,
  driver_arrived: 3,
  completed: 4,
  cancelled: 4,
};

/** The internal status each GoFood step means for us. */
export const internalStatusFor: Readonly<Record<LifecycleStep, OrderStatus>> = {
  awaiting_merchant_acceptance: 'pending',
  merchant_accepted: 'confirmed',
  driver_otw_pickup: 'processing',
  driver_arrived: 'processing',
  completed: 'delivered',
  cancelled: 'cancelled',
};

export function isLifecycleStep(value: string | null | undefined): value is LifecycleStep {
  return value !== null && value !== undefined && (lifecycleSteps as readonly string[]).includes(value);
}

/** What an event name means: a lifecycle step, the payment settlement, or something we do not know. */
export type EventKind =
  | { kind: 'step'; step: LifecycleStep }
  | { kind: 'payment_settled' }
  | { kind: 'unknown'; name: string };

export function classifyEvent(eventName: string | null | undefined): EventKind {
  const name = (eventName ?? '').trim();
  const short = name.startsWith(EVENT_PREFIX) ? name.slice(EVENT_PREFIX.length) : '';
  if (short === 'placed') return { kind: 'payment_settled' };
  if (isLifecycleStep(short)) return { kind: 'step', step: short };
  return { kind: 'unknown', name };
}

/**
 * Whether GoFood's `next` step may replace its `current` one: forward along the lifecycle only, `cancelled`
 * from any non-terminal step, nothing after a terminal step.
 */
export function stepAdvances(current: LifecycleStep | null, next: LifecycleStep): boolean {
  if (current === null) return true;
  if (terminalSteps.has(current)) return false;
  if (next === 'cancelled') return true;
  return stepRank[next] > stepRank[current];
}

export type Fulfilment = 'delivery' | 'pickup';

/** `gofood_pickup` is a pickup order; anything else (`gofood`, unknown) is delivered by a GoFood driver. */
export function fulfilmentFor(serviceType: string | undefined): Fulfilment {
  return serviceType === 'gofood_pickup' ? 'pickup' : 'delivery';
}

/** The order's GoFood facts kept in `attributes.gofood`; the outbound calls need outlet and fulfilment. */
export interface GofoodAttributes {
  outletId: string | null;
  externalOutletId: string | null;
  serviceType: string | null;
  fulfilment: Fulfilment;
  cutleryRequested: boolean | null;
  takeawayCharges: number;
  appliedPromotions: unknown;
  placedAt: string | null;
  /**
   * Set when our acceptance deadline passed in `manual` mode: a provisional rejection (docs/gofood.md);
   * `finalizedAt` once the grace period ran out without GoFood's word and we cancelled the order.
   */
  deadlineRejection?: { at: string; reason: string; finalizedAt?: string | undefined } | undefined;
  foodPreparedAt?: string | undefined;
}

export class UnusablePayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusablePayloadError';
  }
}

export interface OrderFacts {
  currency: string;
  items: OrderItemInput[];
  total: number;
  subtotal: number;
  takeawayCharges: number;
  customer: CreateOrderInput['customer'];
  attributes: GofoodAttributes;
  externalRefs: Record<string, string>;
}

/**
 * The order described by a notification, money converted to minor units. GoFood's `price` is per unit
 * (documented assumption); `order_total` is taken as the order total as GoFood states it, and the
 * difference to the item sum plus takeaway charges is shown as a discount (promotions).
 */
export function orderFacts(
  notification: GofoodNotification,
  toMinor: (amount: number | string, currency: string) => number,
): OrderFacts {
  const body = notification.body;
  const order = body.order;
  if (!order?.order_number) throw new UnusablePayloadError('body.order.order_number is missing');
  const currency = (order.currency ?? 'IDR').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new UnusablePayloadError(`currency ${currency} is not ISO 4217`);
  const items: OrderItemInput[] = order.order_items.map((item, index) => {
    const sku = item.external_id ?? item.id;
    if (!sku) throw new UnusablePayloadError(`order_items[${index}] has neither external_id nor id`);
    const quantity = item.quantity ?? 1;
    const unitPrice = item.price === null || item.price === undefined ? 0 : toMinor(item.price, currency);
    if (unitPrice < 0) throw new UnusablePayloadError(`order_items[${index}].price is negative`);
    return {
      sku,
      name: item.name ?? sku,
      quantity,
      unitPrice,
      externalId: item.id ?? null,
      metadata: {
        notes: item.notes ?? null,
        variants: item.variants.map((v) => ({
          id: v.id ?? null,
          externalId: v.external_id ?? null,
          name: v.name ?? null,
        })),
      },
    };
  });
  const subtotal = items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
  const takeawayCharges =
    order.takeaway_charges === null || order.takeaway_charges === undefined
      ? 0
      : toMinor(order.takeaway_charges, currency);
  const total =
    order.order_total === null || order.order_total === undefined
      ? subtotal + takeawayCharges
      : toMinor(order.order_total, currency);
  if (total < 0) throw new UnusablePayloadError('order_total is negative');
  const outletId = body.outlet?.id ?? null;
  const externalOutletId = body.outlet?.external_outlet_id ?? null;
  const externalRefs: Record<string, string> = {};
  if (outletId) externalRefs.outletId = outletId;
  if (externalOutletId) externalRefs.externalOutletId = externalOutletId;
  return {
    currency,
    items,
    subtotal,
    total,
    takeawayCharges,
    customer: body.customer?.id
      ? { externalId: body.customer.id, name: body.customer.name ?? null }
      : undefined,
    externalRefs,
    attributes: {
      outletId,
      externalOutletId,
      serviceType: body.service_type ?? null,
      fulfilment: fulfilmentFor(body.service_type),
      cutleryRequested: order.cutlery_requested ?? null,
      takeawayCharges,
      appliedPromotions: order.applied_promotions ?? null,
      placedAt: order.created_at ?? null,
    },
  };
}

/** Reads `attributes.gofood` back from an order row. */
export function gofoodAttributes(attributes: Record<string, unknown>): Partial<GofoodAttributes> {
  const value = attributes.gofood;
  return value !== null && typeof value === 'object' ? (value as Partial<GofoodAttributes>) : {};
}

/** A GoFood timestamp as a Date; null when absent or unreadable. */
export function parseTimestamp(value: string | undefined): Date | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}
