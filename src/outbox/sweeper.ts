import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Queues } from '../queues/index.js';
import { outboundJobFor, outboundJobId } from './jobs.js';
import { settleOutbox } from './settle.js';

export interface OutboxSweepResult {
  checked: number;
  requeued: number;
  settled: number;
}

/**
 * The outbox twin of the inbox sweeper: a message handed to the outbound queue but never settled is checked
 * against BullMQ. A job that vanished (Redis lost its data) is enqueued again from the row; a job that ended
 * without the row being updated (the worker died in between) settles the row from the job's state.
 */
export async function sweepOutbox(
  db: Db,
  queues: Queues,
  logger: Logger,
  olderThanMs: number,
  limit = 500,
): Promise<OutboxSweepResult> {
  const rows = await db
    .selectFrom('outbox')
    .selectAll()
    .where('status', '=', 'enqueued')
    .where('enqueued_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('id')
    .limit(limit)
    .execute();
  const result: OutboxSweepResult = { checked: rows.length, requeued: 0, settled: 0 };
  let consecutiveErrors = 0;
  for (const row of rows) {
    if (consecutiveErrors >= 3) break;
    try {
      const job = await queues.outbound.getJob(outboundJobId(row.id));
      const state = job ? await job.getState() : 'missing';
      if (state === 'completed') {
        await settleOutbox(db, row.id, 'delivered', null, 'enqueued');
        result.settled++;
      } else if (state === 'failed' && job) {
        await settleOutbox(db, row.id, 'dead', job.failedReason, 'enqueued');
        result.settled++;
      } else if (state === 'missing' || state === 'unknown') {
        const { name, data, opts } = outboundJobFor(row);
        await queues.outbound.add(name, data, opts);
        result.requeued++;
      }
      consecutiveErrors = 0;
    } catch (err) {
      consecutiveErrors++;
      logger.warn({ outboxId: row.id, err: errorMessage(err) }, 'sweeper could not check outbox message');
    }
  }
  if (result.requeued || result.settled) logger.info(result, 'outbox sweep');
  return result;
}
