import type { Executor } from '../db/index.js';

export interface OutboxMessage {
  orderId?: string | null;
  /** The job the relay enqueues, e.g. `delivery.requested`, `yemeksepeti.order.update`. */
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * Records a side effect in the same transaction as the change that causes it; the relay turns it into an
 * outbound job after commit, so a crash can neither lose it nor send it for a change that rolled back.
 */
export async function enqueueOutbox(trx: Executor, message: OutboxMessage): Promise<number> {
  const row = await trx
    .insertInto('outbox')
    .values({ order_id: message.orderId ?? null, topic: message.topic, payload: message.payload })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Several messages in one statement; they get ascending ids in the order given (ids returned in that order). */
export async function enqueueOutboxMany(
  trx: Executor,
  messages: readonly OutboxMessage[],
): Promise<number[]> {
  if (messages.length === 0) return [];
  const rows = await trx
    .insertInto('outbox')
    .values(
      messages.map((message) => ({
        order_id: message.orderId ?? null,
        topic: message.topic,
        payload: message.payload,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((row) => row.id).sort((a, b) => a - b);
}
