import type { OutboxRow } from '../db/schema.js';

/** The outbound job's id is derived from its outbox row, so a message is never queued twice. */
export function outboundJobId(outboxId: number): string {
  return `outbox-${outboxId}`;
}

/** The outbound job that carries an outbox row; the relay and the sweeper enqueue the same one. */
export function outboundJobFor(row: OutboxRow) {
  return {
    name: row.topic,
    data: {
      outboxId: row.id,
      topic: row.topic,
      orderId: row.order_id,
      payload: (row.payload ?? {}) as Record<string, unknown>,
    },
    opts: { jobId: outboundJobId(row.id) },
  };
}
