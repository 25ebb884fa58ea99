import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { AppError } from '../lib/errors.js';
import type { InboxJob } from '../workers/queues.js';
import { lockInboundEvent } from './repository.js';

/**
 * Puts a dead (or attention, or stuck) inbox event back on the queue with a fresh attempt budget. The old
 * BullMQ job, kept in the failed set for inspection, is removed first so the job id can be reused.
 *
 * The check and the reset run in one transaction holding the row's lock, so a worker settling the event at
 * that moment waits for it (and a second replay sees the first one's reset, never the old status). The job
 * is added after the commit: a worker that took it earlier would read the event as still dead and skip it.
 */
export async function replayEvent(
  db: Db,
  inbox: Pick<Queue<InboxJob>, 'getJob' | 'remove' | 'add'>,
  eventId: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const event = await lockInboundEvent(trx, eventId);
    if (!event) throw new AppError('not_found', 'event not found', { details: { eventId } });
    if (event.status === 'processed') {
      throw new AppError('conflict', 'event was processed; there is nothing to replay', {
        details: { eventId },
      });
    }
    const beingProcessed = () =>
      new AppError('conflict', 'event is being processed right now', { details: { eventId } });
    const state = await (await inbox.getJob(eventId))?.getState();
    if (state === 'active') throw beingProcessed();
    // `remove` answers 0 for a job that is locked (a worker took it since); the job is then still there.
    if (state !== undefined && (await inbox.remove(eventId)) === 0 && (await inbox.getJob(eventId))) {
      throw beingProcessed();
    }
    await trx
      .updateTable('inbound_events')
      .set({ status: 'received', attempts: 0, outcome: null, processed_at: null, updated_at: sql`now()` })
      .where('id', '=', eventId)
      .execute();
  });
  // Should this fail (Redis down), the row is `received` and the sweeper enqueues it again.
  await inbox.add('inbound', { eventId }, { jobId: eventId });
}
