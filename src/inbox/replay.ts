import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { AppError } from '../lib/errors.js';
import {
  type InboxJob,
  QUEUE_STEP_TIMEOUT_MS,
  removeIdleJob,
  replayedJobState,
  withTimeout,
} from '../queues/index.js';
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
): Promise<{ enqueued: boolean }> {
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
    const state = await replayedJobState(inbox, eventId);
    if (state === 'active') throw beingProcessed();
    if (state !== undefined && !(await removeIdleJob(inbox, eventId))) throw beingProcessed();
    await trx
      .updateTable('inbound_events')
      .set({
        status: 'received',
        attempts: 0,
        outcome: null,
        processed_at: null,
        updated_at: sql`now()`,
        // Read by the worker: a replayed event that succeeds settles its dead-event intervention.
        meta: sql`meta || jsonb_build_object('replayedAt', now())`,
      })
      .where('id', '=', eventId)
      .execute();
  });
  // Should this fail (Redis down or hung), the replay stands: the row is `received` and the sweeper enqueues it.
  try {
    await withTimeout(
      inbox.add('inbound', { eventId }, { jobId: eventId }),
      QUEUE_STEP_TIMEOUT_MS,
      'replay enqueue',
    );
    return { enqueued: true };
  } catch {
    return { enqueued: false };
  }
}
