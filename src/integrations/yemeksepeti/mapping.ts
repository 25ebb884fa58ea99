import type { OrderItemInput } from '../../orders/create.js';
import { toMinorUnits, weightLineTotal } from '../../orders/money.js';
import { fulfilmentRank, type OrderStatus } from '../../orders/status.js';
import type { YsItem, YsOrder } from './schema.js';

export const YS_SOURCE = 'yemeksepeti';
/** Yemeksepeti Mahalle sells in Turkey: amounts are lira. */
export const YS_CURRENCY = 'TRY';

export const ysCategories = ['market', 'su'] as const;
export type YsCategory = (typeof ysCategories)[number];

/** Order statuses Yemeksepeti sends. Anything else is stored and flagged for attention. */
export const ysStatuses = [
  'RECEIVED',
  'UNASSIGNED',
  'READY_FOR_PICKUP',
  'DISPATCHED',
  'DELIVERED',
  'CANCELLED',
  'ORDER_RECONCILED',
] as const;
export type YsStatus = (typeof ysStatuses)[number];

export function isYsStatus(value: string): value is YsStatus {
  return (ysStatuses as readonly string[]).includes(value);
}

/** BiSU-level order statuses that Yemeksepeti statuses map onto. */
export type BisuStatus = 'ORDER_CREATED' | 'ORDER_CONFIRMED' | 'ORDER_COMPLETED' | 'ORDER_CANCELLED';

/**
 * The BiSU status each Yemeksepeti status stands for: RECEIVED / UNASSIGNED / READY_FOR_PICKUP →
 * ORDER_CREATED; DISPATCHED / DELIVERED → ORDER_COMPLETED; CANCELLED → ORDER_CANCELLED; ORDER_RECONCILED
 * leaves the order at ORDER_CREATED or ORDER_CONFIRMED, whichever it was (no rule runs for it on our side).
 * ORDER_CONFIRMED itself is ours alone: set when an operator confirms the order, never sent to Yemeksepeti.
 */
export const YS_TO_BISU: Readonly<Record<YsStatus, readonly BisuStatus[]>> = {
  RECEIVED: ['ORDER_CREATED'],
  UNASSIGNED: ['ORDER_CREATED'],
  READY_FOR_PICKUP: ['ORDER_CREATED'],
  DISPATCHED: ['ORDER_COMPLETED'],
  DELIVERED: ['ORDER_COMPLETED'],
  CANCELLED: ['ORDER_CANCELLED'],
  ORDER_RECONCILED: ['ORDER_CREATED', 'ORDER_CONFIRMED'],
};

/** How far along each BiSU status is: the BiSU status never goes back. */
const bisuRank: Readonly<Record<BisuStatus, number>> = {
  ORDER_CREATED: 0,
  ORDER_CONFIRMED: 1,
  ORDER_COMPLETED: 2,
  ORDER_CANCELLED: 3,
};

function isBisuStatus(value: string | undefined): value is BisuStatus {
  return value !== undefined && Object.hasOwn(bisuRank, value);
}

/**
 * The BiSU status an order has after Yemeksepeti's `status`: the mapped one, unless the order is already
 * further along (a READY_FOR_PICKUP does not take an ORDER_CONFIRMED order back to ORDER_CREATED);
 * ORDER_RECONCILED keeps the previous one.
 */
export function bisuStatusAfter(status: YsStatus, previous: string | undefined): BisuStatus {
  const kept = isBisuStatus(previous) ? previous : undefined;
  if (status === 'ORDER_RECONCILED') return kept ?? 'ORDER_CREATED';
  const [mapped = 'ORDER_CREATED'] = YS_TO_BISU[status];
  return kept !== undefined && bisuRank[kept] > bisuRank[mapped] ? kept : mapped;
}

/**
 * Where each Yemeksepeti status puts our internal order (src/orders/status.ts). Marketplace orders are
 * paid and accepted on the platform, so they start `confirmed`. ORDER_RECONCILED changes no status (null).
 */
export const YS_TO_INTERNAL: Readonly<Record<YsStatus, OrderStatus | null>> = {
  RECEIVED: 'confirmed',
  UNASSIGNED: 'confirmed',
  READY_FOR_PICKUP: 'processing',
  DISPATCHED: 'shipped',
  DELIVERED: 'delivered',
  CANCELLED: 'cancelled',
  ORDER_RECONCILED: null,
};

export type YsFlow = 'create' | 'cancel' | 'sync' | 'unknown';

/**
 * RECEIVED / UNASSIGNED / READY_FOR_PICKUP create the order (READY_FOR_PICKUP is also the status of an order
 * created ready to hand over; an order we hold only synchronises), CANCELLED cancels, the rest synchronise.
 */
export function flowFor(status: string): YsFlow {
  if (status === 'RECEIVED' || status === 'UNASSIGNED' || status === 'READY_FOR_PICKUP') return 'create';
  if (status === 'CANCELLED') return 'cancel';
  if (isYsStatus(status)) return 'sync';
  return 'unknown';
}

/** Whether moving to `target` is news (further along the fulfilment path) rather than stale. */
export function isNewer(current: OrderStatus, target: OrderStatus): boolean {
  return fulfilmentRank[target] > fulfilmentRank[current];
}

/** Statuses we send with `PUT /v2/chains/{chain_id}/orders/{order_id}`. DELIVERED is never ours to set. */
export const outboundStatuses = ['READY_FOR_PICKUP', 'DISPATCHED', 'CANCELLED', 'UPDATE_CART'] as const;
export type YsOutboundStatus = (typeof outboundStatuses)[number];

/** Item statuses in an UPDATE_CART. */
export type YsItemStatus = 'IN_CART' | 'NOT_FOUND';

/** A line's status as Yemeksepeti's cart knows it: NOT_FOUND (out of the cart) or IN_CART. */
export function cartStatus(status: string | undefined): YsItemStatus {
  return status === 'NOT_FOUND' ? 'NOT_FOUND' : 'IN_CART';
}

const minor = (amount: number | string | null | undefined): number | undefined =>
  amount === null || amount === undefined ? undefined : toMinorUnits(amount, YS_CURRENCY);

/** Kilograms (a decimal, e.g. 0.75) to whole grams. Weights are not money; rounding to a gram is exact enough. */
export function kgToGrams(kg: number): number {
  return Math.round(Number(kg.toPrecision(15)) * 1000);
}

export class YsItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YsItemError';
  }
}

/**
 * A Yemeksepeti item as an order line. KG-priced items are counted in grams (quantity = weight in grams,
 * unit price per kg, stock of that SKU kept in grams); UNIT items in pieces.
 */
export function toOrderItem(item: YsItem, index: number): OrderItemInput {
  const pricing = item.pricing ?? {};
  const sku = item.sku;
  if (!sku) throw new YsItemError(`item ${index + 1} has no sku`);
  const name = item.name?.trim() || sku;
  const metadata: Record<string, unknown> = {
    ysStatus: item.status ?? null,
    barcode: item.barcode ?? [],
    pricingType: pricing.pricing_type ?? 'UNIT',
  };
  const taxRateBp = pricing.vat_percent == null ? null : toMinorUnits(pricing.vat_percent, 'TRY');
  const total = minor(pricing.total_price);
  if ((pricing.pricing_type ?? '').toUpperCase() === 'KG') {
    const kg = pricing.weight ?? pricing.quantity;
    const grams = kg == null ? 0 : kgToGrams(kg);
    if (grams <= 0) throw new YsItemError(`KG item ${sku} has no weight`);
    const perKg = minor(pricing.unit_price) ?? 0;
    return {
      sku,
      name,
      quantity: grams,
      weightGrams: grams,
      pricingType: 'kg',
      unitPrice: perKg,
      totalPrice: total ?? weightLineTotal(perKg, grams),
      taxRateBp,
      externalId: item._id ?? null,
      metadata: { ...metadata, weightKg: kg },
    };
  }
  const quantity = pricing.quantity ?? 1;
  if (!Number.isInteger(quantity) || quantity <= 0) {
    throw new YsItemError(`UNIT item ${sku} has quantity ${quantity}; a positive whole number is required`);
  }
  const unitPrice = minor(pricing.unit_price) ?? Math.round((total ?? 0) / quantity);
  return {
    sku,
    name,
    quantity,
    pricingType: 'unit',
    unitPrice,
    totalPrice: total ?? unitPrice * quantity,
    taxRateBp,
    externalId: item._id ?? null,
    metadata,
  };
}

/** Whether Yemeksepeti sent the item as NOT_FOUND: removed from the cart on its side, and it stays removed. */
export function removedByYemeksepeti(line: OrderItemInput): boolean {
  const status = line.metadata?.ysStatus;
  return typeof status === 'string' && status.toUpperCase() === 'NOT_FOUND';
}

/** The lines that go through our stock check: every one Yemeksepeti did not send as NOT_FOUND. */
export function linesToStock(lines: readonly OrderItemInput[]): OrderItemInput[] {
  return lines.filter((line) => !removedByYemeksepeti(line));
}

/**
 * Each line with its cart status: NOT_FOUND when Yemeksepeti sent it so or our stock is short of it
 * (`short`: SKUs), else IN_CART. A NOT_FOUND line is not reserved, not in the subtotal and not delivered.
 */
export function withCartStatus(
  lines: readonly OrderItemInput[],
  short: ReadonlySet<string> = new Set(),
): OrderItemInput[] {
  return lines.map((line) => ({
    ...line,
    status: removedByYemeksepeti(line) || short.has(line.sku) ? 'NOT_FOUND' : 'IN_CART',
  }));
}

/** Payment amounts in minor units, as Yemeksepeti reported them. */
export interface YsPaymentSnapshot {
  type: string | null;
  subTotal: number | null;
  orderTotal: number | null;
  deliveryFee: number;
  serviceFee: number;
  discount: number;
  totalTaxes: number;
}

export function paymentSnapshot(order: YsOrder): YsPaymentSnapshot {
  const p = order.payment ?? {};
  return {
    type: p.type ?? null,
    subTotal: minor(p.sub_total) ?? null,
    orderTotal: minor(p.order_total) ?? null,
    deliveryFee: minor(p.delivery_fee) ?? 0,
    serviceFee: minor(p.service_fee) ?? 0,
    discount: minor(p.discount) ?? 0,
    totalTaxes: minor(p.total_taxes) ?? 0,
  };
}

/** The store ids that may identify the warehouse, in order of preference. */
export function storeIdsOf(order: YsOrder): string[] {
  const ids = [order.client?.store_id, order.client?.external_partner_config_id];
  return ids.filter((id): id is string => typeof id === 'string' && id !== '');
}

/** Our references to the Yemeksepeti order (order_id = packageId, external_order_id = integrationOrderNumber). */
export function externalRefsOf(order: YsOrder, storeId?: string): Record<string, string> {
  const refs: Record<string, string | null | undefined> = {
    packageId: order.order_id,
    integrationOrderNumber: order.external_order_id,
    orderCode: order.order_code,
    chainId: order.client?.chain_id,
    vendorId: order.client?.id,
    storeId,
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(refs)) if (value) out[key] = value;
  return out;
}

export function customerName(order: YsOrder): string | undefined {
  const name = [order.customer?.first_name, order.customer?.last_name]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(' ');
  return name === '' ? undefined : name;
}
