import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { findInboundEvent, markEvent } from '../inbox/repository.js';
import type { Integration, WorkerContext } from '../integrations/types.js';
import { errorMessage } from '../lib/errors.js';
import { type InboxJob, inboxJobSchema } from './queues.js';
import { isRetryable, toJobError } from './retry.js';

const finished = new Set(['processed', 'attention', 'dead']);

/**
 * Runs one inbox event through its integration's handler and records the outcome on the inbox row. BullMQ
 * delivers at least once: an event already finished is skipped, and handlers are idempotent for the case
 * where the process died between the handler's commit and the row update.
 */
export function createInboxProcessor(ctx: WorkerContext, integrations: ReadonlyMap<string, Integration>) {
  return async (job: Job<InboxJob>): Promise<string> => {
    const parsed = inboxJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid inbox job payload: ${parsed.error.message}`);
    const { eventId } = parsed.data;
    const event = await findInboundEvent(ctx.db, eventId);
    if (!event) throw new UnrecoverableError(`inbox event ${eventId} does not exist`);
    if (finished.has(event.status)) return `already ${event.status}`;

    const attempts = job.attemptsMade + 1;
    const integration = integrations.get(event.source);
    if (!integration) {
      const error = `no integration handles source ${event.source}`;
      await markEvent(ctx.db, eventId, 'dead', { error, attempts });
      throw new UnrecoverableError(error);
    }
    const logger = ctx.logger.child({
      eventId,
      source: event.source,
      externalOrderId: event.external_order_id,
    });
    try {
      const result = await integration.handleEvent({ ...ctx, logger }, event);
      await markEvent(ctx.db, eventId, result.status === 'attention' ? 'attention' : 'processed', {
        outcome: result.outcome ?? null,
        error: null,
        attempts,
      });
      if (result.status === 'attention') logger.warn({ outcome: result.outcome }, 'event needs attention');
      return result.outcome ?? result.status;
    } catch (err) {
      const final = !isRetryable(err) || attempts >= (job.opts.attempts ?? 1);
      logger.warn(
        { err: errorMessage(err), attempts, final },
        final ? 'event is dead' : 'event failed; will retry',
      );
      await markEvent(ctx.db, eventId, final ? 'dead' : 'failed', { error: errorMessage(err), attempts });
      throw toJobError(err);
    }
  };
}
