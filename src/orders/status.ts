/**
 * The order status machine: the one place that says which internal status may follow which.
 *
 * Fulfilment: pending → confirmed → processing → shipped → delivered, with cancellation
 * possible until delivery. `refunded` is the payment-side terminal: a full refund of a paid order moves it
 * there from any status in which money was taken (including a cancelled but paid order). Partial refunds do
 * not change the status; they show in `refundedTotal` and `paymentStatus`.
 */
export const orderStatuses = [
  'pending',
  'confirmed',
  'processing',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const paymentStatuses = [
  'pending',
  'authorized',
  'paid',
  'failed',
  'partially_refunded',
  'refunded',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled', 'refunded'],
  processing: ['shipped', 'cancelled', 'refunded'],
  shipped: ['delivered', 'cancelled', 'refunded'],
  delivered: ['refunded'],
  cancelled: ['refunded'],
  refunded: [],
};

/** Statuses after which fulfilment can no longer move. */
export const terminalStatuses: ReadonlySet<OrderStatus> = new Set(['delivered', 'cancelled', 'refunded']);

/** Position along the fulfilment path; used to tell a stale external event from a newer one. */
export const fulfilmentRank: Readonly<Record<OrderStatus, number>> = {
  pending: 0,
  confirmed: 1,
  processing: 2,
  shipped: 3,
  delivered: 4,
  cancelled: 5,
  refunded: 6,
};

export function isOrderStatus(value: string): value is OrderStatus {
  return (orderStatuses as readonly string[]).includes(value);
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  if (from === 'delivered' && to === 'cancelled') return false;
  if (from === 'refunded') return false;
  return ORDER_TRANSITIONS[from].includes(to);
}

/**
 * The shortest chain of legal transitions from `from` to `to` (excluding `from`), or undefined when `to`
 * cannot be reached. External systems skip steps (a marketplace says DISPATCHED for an order we only
 * confirmed); walking the path keeps every step on the timeline and inside the table.
 */
export function transitionPath(from: OrderStatus, to: OrderStatus): OrderStatus[] | undefined {
  if (from === to) return [];
  const previous = new Map<OrderStatus, OrderStatus>();
  const queue: OrderStatus[] = [from];
  const seen = new Set<OrderStatus>([from]);
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === undefined) break;
    for (const next of ORDER_TRANSITIONS[current]) {
      if (seen.has(next) || !canTransition(current, next)) continue;
      seen.add(next);
      previous.set(next, current);
      if (next === to) {
        const path: OrderStatus[] = [to];
        let step = previous.get(to);
        while (step !== undefined && step !== from) {
          path.unshift(step);
          step = previous.get(step);
        }
        return path;
      }
      queue.push(next);
    }
  }
  return undefined;
}
