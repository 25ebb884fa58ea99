import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import type { CommandContext } from './change.js';
import { staleOrderError } from './locks.js';
import { observeTransition } from './observe.js';
import { canTransition, isOrderStatus, type OrderStatus, transitionPath } from './status.js';
import { releaseStock } from './stock.js';
import { addTimelineEvent } from './timeline.js';

export class IllegalTransitionError extends AppError {
  constructor(from: string, to: string, orderId: string) {
    super('illegal_transition', `order cannot move from ${from} to ${to}`, {
      details: { orderId, from, to },
      retryable: false,
    });
    this.name = 'IllegalTransitionError';
  }
}

export interface TransitionInput extends CommandContext {
  order: Order;
  to: OrderStatus;
}

/**
 * Moves the order to `to` through the transition table, or throws IllegalTransitionError. The caller holds
 * the order row (`getOrderForUpdate`) or the external order lock. Cancelling releases the order's stock.
 */
export async function transitionOrder(trx: Executor, input: TransitionInput): Promise<Order> {
  const { order, to } = input;
  const from = order.status;
  if (!isOrderStatus(from) || !canTransition(from, to)) throw new IllegalTransitionError(from, to, order.id);
  // Compare-and-set on the status: a caller holding a stale copy (no lock) cannot overwrite a newer status.
  const updated = await trx
    .updateTable('orders')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', '=', order.id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw staleOrderError(order.id);
  await observeTransition(trx, updated, from, to, input.actor);
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: to === 'cancelled' ? 'cancelled' : to === 'refunded' ? 'refunded' : 'status_changed',
    actor: input.actor,
    fromStatus: from,
    toStatus: to,
    message: input.reason ?? `status ${from} → ${to}`,
    metadata: input.metadata ?? {},
  });
  if (to === 'cancelled') {
    const released = await releaseStock(trx, order.id);
    if (released > 0) {
      await addTimelineEvent(trx, {
        orderId: order.id,
        type: 'stock_released',
        actor: input.actor,
        message: `released ${released} reserved line(s)`,
      });
    }
  }
  return updated;
}

export interface AdvanceInput extends TransitionInput {
  /**
   * The reason recorded for the steps walked on the way to `to`, when the caller's source reported only `to`
   * (a channel that skips steps): those timeline entries say so and carry `implied: true` in their metadata.
   * Without it every step records `reason`.
   */
  impliedReason?: string;
}

/**
 * Walks the shortest legal path to `to`, one timeline entry per step. Throws IllegalTransitionError when
 * `to` cannot be reached from the current status.
 */
export async function advanceOrder(trx: Executor, input: AdvanceInput): Promise<Order> {
  const { order, to, impliedReason, ...context } = input;
  const from = order.status;
  const path = isOrderStatus(from) ? transitionPath(from, to) : undefined;
  if (!path) throw new IllegalTransitionError(from, to, order.id);
  let current = order;
  for (const step of path) {
    const implied = impliedReason !== undefined && step !== to;
    current = await transitionOrder(trx, {
      ...context,
      order: current,
      to: step,
      ...(implied ? { reason: impliedReason, metadata: { ...context.metadata, implied: true } } : {}),
    });
  }
  return current;
}
