import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Queues } from './queues.js';

/**
 * Moves committed outbox rows onto the outbound queue. Rows are claimed with `for update skip locked`, so
 * several worker processes relay in parallel without sending a row twice; the job id is derived from the
 * row id, so a relay that dies between enqueue and marking cannot create a second job.
 */
export async function relayOutboxOnce(db: Db, queues: Queues, batchSize = 200): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(batchSize)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return 0;
    await queues.outbound.addBulk(
      rows.map((row) => ({
        name: row.topic,
        data: {
          outboxId: row.id,
          topic: row.topic,
          orderId: row.order_id,
          payload: (row.payload ?? {}) as Record<string, unknown>,
        },
        opts: { jobId: `outbox-${row.id}` },
      })),
    );
    await trx
      .updateTable('outbox')
      .set({ status: 'enqueued', enqueued_at: sql`now()` })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.length;
  });
}

export interface OutboxRelay {
  /** Relay now instead of at the next tick (after a command that wrote to the outbox). */
  nudge(): void;
  stop(): Promise<void>;
}

export function startOutboxRelay(db: Db, queues: Queues, logger: Logger, intervalMs: number): OutboxRelay {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    running = (async () => {
      try {
        while ((await relayOutboxOnce(db, queues)) > 0 && !stopped) {}
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'outbox relay failed; will retry');
      }
    })();
    void running.then(schedule);
  };
  const schedule = () => {
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  tick();
  return {
    nudge: () => {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        tick();
      }
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
