import type { Queue } from 'bullmq';
import type { Db } from '../db/index.js';
import { AppError } from '../lib/errors.js';
import { addTimelineEvent } from '../orders/timeline.js';
import { removeIdleJob, replayedJobState } from '../queues/index.js';
import { outboundJobId } from './jobs.js';
import { clearFailureAttention, settleDelivered } from './settle.js';

/**
 * Puts a dead outbox message back for the relay, with a fresh attempt budget. The row is locked for the whole
 * replay, so two replays of one message run one after the other (the second finds it no longer dead: 409).
 * Its BullMQ job, if Redis still keeps it, is removed so the job id can be reused: a failed one, or a
 * dashboard retry still waiting; one running right now is a 409. The row goes back to `pending`, and the
 * relay sends it as it would a new message. The timeline says who asked, and the attention flag the failure
 * raised is cleared (a new failure raises it again); a flag raised for another reason stays.
 *
 * A message that is not dead answers 409: it was delivered, or it is on its way. So does one whose job a
 * dashboard retry delivered after all: the row is settled delivered with its timeline entry, not sent again.
 * That is known only while Redis keeps the completed job (the outbound queue's retention); after that, a
 * replay sends the message again, and only the provider's idempotency key stands between it and a double.
 */
export async function replayOutboxMessage(
  db: Db,
  outbound: Pick<Queue, 'getJob' | 'remove'>,
  outboxId: number,
  actor: string,
): Promise<void> {
  const outcome = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', outboxId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'outbox message not found', { details: { outboxId } });
    if (row.status !== 'dead') {
      throw new AppError('conflict', `outbox message is ${row.status}; only a dead message can be replayed`, {
        details: { outboxId, status: row.status },
      });
    }
    const jobId = outboundJobId(outboxId);
    const state = await replayedJobState(outbound, jobId);
    if (state === 'completed') {
      // Retried from the dashboard and delivered, but its settlement was never written.
      await clearFailureAttention(trx, row);
      await settleDelivered(trx, [
        {
          outboxId,
          orderId: row.order_id,
          message: `${row.topic} delivered by a retry of its job`,
          metadata: { topic: row.topic, outboxId, outcome: 'succeeded' },
        },
      ]);
      return 'delivered' as const;
    }
    const beingDelivered = () =>
      new AppError('conflict', 'outbox message is being delivered right now', { details: { outboxId } });
    if (state === 'active') throw beingDelivered();
    if (state !== undefined && !(await removeIdleJob(outbound, jobId))) throw beingDelivered();
    await trx
      .updateTable('outbox')
      .set({ status: 'pending', enqueued_at: null, finished_at: null, last_error: null })
      .where('id', '=', outboxId)
      .execute();
    const attentionCleared = await clearFailureAttention(trx, row);
    if (row.order_id) {
      await addTimelineEvent(trx, {
        orderId: row.order_id,
        type: 'provider_call',
        actor,
        message: `${row.topic} replay requested (was dead: ${row.last_error ?? 'no error recorded'})`,
        metadata: { topic: row.topic, outboxId, outcome: 'replay_requested', attentionCleared },
      });
    }
    return 'reopened' as const;
  });
  if (outcome === 'delivered') {
    throw new AppError('conflict', 'outbox message was delivered by a retry of its job', {
      details: { outboxId, status: 'delivered' },
    });
  }
}
