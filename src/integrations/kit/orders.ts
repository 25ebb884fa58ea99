import type { Db } from '../../db/index.js';
import type { InboundEvent, Order } from '../../db/schema.js';
import { patchOrderAttributes } from '../../orders/attributes.js';
import { channelStatusRecorded } from '../../orders/channel-status.js';
import type { CreateOrderInput } from '../../orders/create.js';
import { findOrderByExternalId, type Trx, withOrderLock } from '../../orders/locks.js';

/** One channel's side of its handlers: its name (the orders' channel) and the actor its changes are recorded as. */
export interface ChannelRef {
  channel: string;
  actor: string;
}

/**
 * Runs `fn` in one transaction holding the external order's lock, with the order's row locked. Every command
 * a channel event runs on an existing order goes through here, so two events of one order never interleave.
 */
export function withLockedOrder<T>(
  db: Db,
  ref: { channel: string; externalOrderId: string },
  fn: (trx: Trx, order: Order) => Promise<T>,
): Promise<T> {
  return withOrderLock(db, ref.channel, ref.externalOrderId, async (trx) => {
    const order = await findOrderByExternalId(trx, ref.channel, ref.externalOrderId, true);
    if (!order) throw new Error(`${ref.channel} order ${ref.externalOrderId} vanished`);
    return fn(trx, order);
  });
}

/**
 * Whether this event already left its channel status on the order: a job that ran to its commit but not to
 * marking its inbox row runs again (delivery is at least once), and must then change nothing. Every path
 * that changes an existing order records the event's channel status in the same transaction.
 */
export function eventAlreadyRecorded(
  trx: Trx,
  order: Pick<Order, 'id'>,
  event: InboundEvent,
): Promise<boolean> {
  return channelStatusRecorded(trx, order.id, event.id);
}

/** The channel's own attributes of an order (`orders.attributes[key]`), or an empty object. */
export function channelAttributes<T extends object>(
  order: Pick<Order, 'attributes'>,
  key: string,
): Partial<T> {
  const value = order.attributes[key];
  return value !== null && typeof value === 'object' ? (value as Partial<T>) : {};
}

/**
 * Merges `patch` into the order's attributes under `key` (the channel's name), dropping the `remove` keys;
 * the other channels' attributes are kept.
 */
export function patchChannelAttributes<T extends object>(
  trx: Trx,
  order: Order,
  key: string,
  patch: Partial<T>,
  remove: readonly (keyof T & string)[] = [],
): Promise<Order> {
  return patchOrderAttributes(trx, { order, key, patch, remove });
}

/** A channel's order as the core creates it: the channel, its actor and the causing event filled in. */
export function channelOrderInput(
  ref: ChannelRef,
  event: Pick<InboundEvent, 'id'>,
  order: Omit<CreateOrderInput, 'channel' | 'actor' | 'eventId'>,
): CreateOrderInput {
  return { channel: ref.channel, ...order, actor: ref.actor, eventId: event.id };
}
