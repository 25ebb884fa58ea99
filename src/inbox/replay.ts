import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { AppError } from '../lib/errors.js';
import type { InboxJob } from '../workers/queues.js';
import { findInboundEvent } from './repository.js';

/**
 * Puts a dead (or attention, or stuck) inbox event back on the queue with a fresh attempt budget. The old
 * BullMQ job, kept in the failed set for inspection, is removed first so the job id can be reused.
 */
export async function replayEvent(db: Db, inbox: Queue<InboxJob>, eventId: string): Promise<void> {
  const event = await findInboundEvent(db, eventId);
  if (!event) throw new AppError('not_found', 'event not found', { details: { eventId } });
  if (event.status === 'processed') {
    throw new AppError('conflict', 'event was processed; there is nothing to replay', {
      details: { eventId },
    });
  }
  const job = await inbox.getJob(eventId);
  if (job) {
    const state = await job.getState();
    if (state === 'active') throw new AppError('conflict', 'event is being processed right now');
    await job.remove();
  }
  await db
    .updateTable('inbound_events')
    .set({ status: 'received', attempts: 0, outcome: null, processed_at: null, updated_at: sql`now()` })
    .where('id', '=', eventId)
    .execute();
  await inbox.add('inbound', { eventId }, { jobId: eventId });
}
