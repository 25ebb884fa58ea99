import type { Queue } from 'bullmq';
import type { Db } from '../db/index.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { openIntervention } from '../orders/interventions.js';
import type { InboxJob } from '../queues/index.js';
import { deadEventIntervention } from './interventions.js';
import { findInboundEvent, findUnfinishedEvents, lockInboundEvent, markEvent } from './repository.js';

export interface SweepResult {
  checked: number;
  requeued: number;
  markedDead: number;
}

/**
 * Redis is the work queue, not the system of record. Inbox rows that are still unfinished after a grace
 * period are checked against BullMQ: a row whose job vanished (Redis lost its data, the enqueue failed after
 * the row was stored) gets its job again; a row whose job ended without the row being updated is settled
 * from the job's state.
 */
export async function sweepInbox(
  db: Db,
  inbox: Queue<InboxJob>,
  logger: Logger,
  olderThanMs: number,
  limit = 500,
): Promise<SweepResult> {
  const rows = await findUnfinishedEvents(db, olderThanMs, limit);
  const result: SweepResult = { checked: rows.length, requeued: 0, markedDead: 0 };
  let consecutiveErrors = 0;
  for (const row of rows) {
    // Redis down: every row would fail the same way; the next sweep tries again.
    if (consecutiveErrors >= 3) break;
    try {
      const job = await inbox.getJob(row.id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed') {
        if (await markDeadIfStillFailed(db, inbox, row.id)) result.markedDead++;
        continue;
      }
      if (state === 'missing' || state === 'unknown' || state === 'completed') {
        if (job) await job.remove();
        await inbox.add('inbound', { eventId: row.id }, { jobId: row.id });
        result.requeued++;
      }
      consecutiveErrors = 0;
    } catch (err) {
      consecutiveErrors++;
      logger.warn({ eventId: row.id, err: errorMessage(err) }, 'sweeper could not check event');
    }
  }
  if (result.requeued || result.markedDead) logger.info(result, 'inbox sweep');
  return result;
}

/**
 * Settles an event whose job failed for good as `dead`, under the row's lock and only if the job is still the
 * failed one: a replay between the sweeper's read and this write has reset the row and replaced the job, and
 * must not be undone (its new job would find the event dead and skip it).
 */
async function markDeadIfStillFailed(db: Db, inbox: Queue<InboxJob>, eventId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await lockInboundEvent(trx, eventId);
    if (row?.status !== 'received' && row?.status !== 'failed') return false;
    const job = await inbox.getJob(eventId);
    if (!job || (await job.getState()) !== 'failed') return false;
    const error = job.failedReason || row.last_error;
    await markEvent(trx, eventId, 'dead', { error, attempts: job.attemptsMade });
    const event = await findInboundEvent(trx, eventId);
    if (event) await openIntervention(trx, deadEventIntervention(event, 'dead', error));
    return true;
  });
}
