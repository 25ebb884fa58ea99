import { cancellationClass, type Metrics } from './metrics.js';

/** What the orders core tells observers (the process's metrics) about orders, with no ids in it. */
export type OrderObservation =
  | { kind: 'created'; channel: string; currency: string; total: number }
  | {
      kind: 'transition';
      channel: string;
      from: string;
      to: string;
      actor: string;
      /** Since the order was created. */
      sinceCreatedMs: number;
      /** Since the order was shipped, on its way to `delivered`. */
      sinceShippedMs?: number;
    };

type Listener = (observation: OrderObservation) => void;
const listeners = new Set<Listener>();

/** Subscribes to order observations; returns the unsubscribe. */
export function onOrderObservation(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** Sent once the command's transaction has committed: a rolled-back command is never counted. */
export function emitOrderObservation(observation: OrderObservation): void {
  for (const listener of listeners) {
    try {
      listener(observation);
    } catch {
      // An observer never fails an order command.
    }
  }
}

export function hasOrderObservers(): boolean {
  return listeners.size > 0;
}

/** Turns the orders core's observations into the order series (durations, cancellations, values). */
export function observeOrderMetrics(metrics: Metrics, o: OrderObservation): void {
  if (o.kind === 'created') {
    metrics.orderValue.observe({ channel: o.channel, currency: o.currency }, o.total);
    return;
  }
  const channel = { channel: o.channel };
  if (o.to === 'shipped') metrics.orderProcessing.observe(channel, o.sinceCreatedMs / 1000);
  if (o.to === 'delivered') {
    metrics.orderDelivery.observe(channel, o.sinceCreatedMs / 1000);
    if (o.sinceShippedMs !== undefined) metrics.orderShipping.observe(channel, o.sinceShippedMs / 1000);
  }
  if (o.to === 'cancelled') {
    metrics.orderCancellations.inc({ channel: o.channel, reason_class: cancellationClass(o.actor) });
  }
}
