import { afterCommit } from '../db/after-commit.js';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { emitOrderObservation as emit, hasOrderObservers } from '../lib/order-metrics.js';

/** A created order; the caller observes it once the order's transaction has committed. */
export function observeCreated(order: Pick<Order, 'channel' | 'currency' | 'total'>): void {
  if (!hasOrderObservers()) return;
  emit({ kind: 'created', channel: order.channel, currency: order.currency, total: order.total });
}

/**
 * A status change, observed once the transaction that made it commits (a rolled-back change is never counted);
 * reaching `delivered`, it reads when the order was shipped (one indexed row).
 */
export async function observeTransition(
  db: Executor,
  order: Pick<Order, 'id' | 'channel' | 'created_at'>,
  from: string,
  to: string,
  actor: string,
): Promise<void> {
  if (!hasOrderObservers()) return;
  const now = Date.now();
  let sinceShippedMs: number | undefined;
  if (to === 'delivered') {
    const shipped = await db
      .selectFrom('order_events')
      .select('created_at')
      .where('order_id', '=', order.id)
      .where('to_status', '=', 'shipped')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (shipped) sinceShippedMs = now - shipped.created_at.getTime();
  }
  const observation = {
    kind: 'transition',
    channel: order.channel,
    from,
    to,
    actor,
    sinceCreatedMs: now - order.created_at.getTime(),
    ...(sinceShippedMs !== undefined ? { sinceShippedMs } : {}),
  } as const;
  afterCommit(db, () => emit(observation));
}
