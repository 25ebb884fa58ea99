import type { CustomerInput } from './customers.js';
import type { OrderStatus, PaymentStatus } from './status.js';

export interface OrderItemInput {
  sku: string;
  name: string;
  quantity: number;
  /** Minor units per unit (or per kg for `pricingType: 'kg'`). */
  unitPrice: number;
  /** Minor units; defaults to unitPrice × quantity. */
  totalPrice?: number;
  pricingType?: 'unit' | 'kg';
  weightGrams?: number | null;
  taxRateBp?: number | null;
  externalId?: string | null;
  /** Item status as the channel knows it (e.g. IN_CART, NOT_FOUND); `active` by default. */
  status?: string;
  /** Reserve stock for this line (default true when the order has a warehouse). */
  reserve?: boolean;
  metadata?: Record<string, unknown>;
}

/** The order itself: what a channel knows of it. */
export interface CreateOrderInput {
  /** The order's id when the caller promised one before the order existed (a checkout's answer). */
  id?: string;
  channel: string;
  externalOrderId: string;
  status?: OrderStatus;
  channelStatus?: string | null;
  paymentStatus?: PaymentStatus;
  currency: string;
  customer?: CustomerInput;
  items: OrderItemInput[];
  totals?: { subtotal?: number; discount?: number; shipping?: number; tax?: number; total?: number };
  warehouseCode?: string | null;
  externalRefs?: Record<string, string>;
  attributes?: Record<string, unknown>;
  actor: string;
  /** The inbox event that caused the creation, for the audit trail. */
  eventId?: string;
  occurredAt?: Date | null;
}

/** A line's total in minor units: the channel's own total, else unit price × quantity. */
export function lineTotal(item: OrderItemInput): number {
  return item.totalPrice ?? item.unitPrice * item.quantity;
}

/** Whether a line counts towards the order (and its stock): not removed by the channel. */
export function isActive(item: OrderItemInput): boolean {
  return item.status === undefined || item.status === 'active' || item.status === 'IN_CART';
}
