import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { sql } from 'kysely';
import type { Integration, OutboundProcessor, WorkerContext } from '../integrations/types.js';
import { errorMessage } from '../lib/errors.js';
import { addTimelineEvent } from '../orders/timeline.js';
import { settleOutbox } from './outbox-relay.js';
import { type OutboundJob, outboundJobSchema } from './queues.js';
import { isRetryable, toJobError } from './retry.js';

export function outboundProcessors(integrations: Iterable<Integration>): Map<string, OutboundProcessor> {
  const byTopic = new Map<string, OutboundProcessor>();
  for (const integration of integrations) {
    for (const [topic, processor] of Object.entries(integration.outbound ?? {})) {
      if (byTopic.has(topic)) throw new Error(`outbound topic ${topic} is registered twice`);
      byTopic.set(topic, processor);
    }
  }
  return byTopic;
}

/**
 * Delivers one outbox message. Every attempt and its outcome goes on the order's timeline; a message that
 * exhausts its attempts (or is refused for good) flags the order for attention with the provider's answer.
 */
export function createOutboundProcessor(
  ctx: WorkerContext,
  processors: ReadonlyMap<string, OutboundProcessor>,
) {
  return async (job: Job<OutboundJob>): Promise<void> => {
    const parsed = outboundJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid outbound job payload: ${parsed.error.message}`);
    const data = parsed.data;
    const processor = processors.get(data.topic);
    if (!processor) throw new UnrecoverableError(`no processor for outbound topic ${data.topic}`);
    const attempt = job.attemptsMade + 1;
    const logger = ctx.logger.child({ outboxId: data.outboxId, topic: data.topic, orderId: data.orderId });
    try {
      const result = await processor({ ...ctx, logger }, data, job);
      if (data.orderId) {
        const sent = !result || result.sent;
        const detail = result?.message ? `: ${result.message}` : '';
        // The settlement and the timeline entry in one statement (one round trip, one commit): this runs
        // for every outbound message, and both writes were separate autocommits before.
        await ctx.db
          .with('settled', (db) =>
            db
              .updateTable('outbox')
              .set({ status: 'delivered', finished_at: sql`now()`, last_error: null })
              .where('id', '=', data.outboxId),
          )
          .insertInto('order_events')
          .values({
            order_id: data.orderId,
            type: 'provider_call',
            actor: 'worker',
            message: sent
              ? `${data.topic} delivered (attempt ${attempt})${detail}`
              : `${data.topic} not sent${detail}`,
            from_status: null,
            to_status: null,
            metadata: {
              topic: data.topic,
              outboxId: data.outboxId,
              attempt,
              outcome: sent ? 'succeeded' : 'not_sent',
            },
          })
          .execute();
      } else {
        await settleOutbox(ctx.db, data.outboxId, 'delivered');
      }
    } catch (err) {
      const final = !isRetryable(err) || attempt >= (job.opts.attempts ?? 1);
      logger.warn({ err: errorMessage(err), attempt, final }, 'outbound call failed');
      if (final) await settleOutbox(ctx.db, data.outboxId, 'dead', errorMessage(err));
      if (data.orderId) {
        await addTimelineEvent(ctx.db, {
          orderId: data.orderId,
          type: 'provider_call',
          actor: 'worker',
          message: `${data.topic} failed (attempt ${attempt})${final ? ', giving up' : ', will retry'}: ${errorMessage(err)}`,
          metadata: {
            topic: data.topic,
            outboxId: data.outboxId,
            attempt,
            outcome: final ? 'dead' : 'retrying',
          },
        });
        if (final) {
          await ctx.db
            .updateTable('orders')
            .set({ attention_reason: `${data.topic} failed: ${errorMessage(err)}`, updated_at: sql`now()` })
            .where('id', '=', data.orderId)
            .execute();
        }
      }
      throw toJobError(err);
    }
  };
}
