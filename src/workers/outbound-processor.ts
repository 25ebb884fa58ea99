import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { Integration, OutboundProcessor, Publisher, WorkerContext } from '../integrations/types.js';
import { createCoalescer } from '../lib/coalesce.js';
import { errorMessage } from '../lib/errors.js';
import { outboundJobId } from '../outbox/jobs.js';
import { type DeliveredMessage, recordOutboundFailure, settleDelivered } from '../outbox/settle.js';
import { type OutboundJob, outboundJobSchema } from '../queues/index.js';
import { isRetryable, toJobError } from '../queues/retry.js';

function byTopic<T>(
  integrations: Iterable<Integration>,
  pick: (integration: Integration) => Record<string, T> | undefined,
  kind: string,
): Map<string, T> {
  const map = new Map<string, T>();
  for (const integration of integrations) {
    for (const [topic, handler] of Object.entries(pick(integration) ?? {})) {
      if (map.has(topic)) throw new Error(`${kind} topic ${topic} is registered twice`);
      map.set(topic, handler);
    }
  }
  return map;
}

export function outboundProcessors(integrations: Iterable<Integration>): Map<string, OutboundProcessor> {
  return byTopic(integrations, (i) => i.outbound, 'outbound');
}

/** The topics the outbox relay publishes itself (`Integration.published`). */
export function publishers(integrations: Iterable<Integration>): Map<string, Publisher> {
  return byTopic(integrations, (i) => i.published, 'published');
}

const outboxPayload = z.record(z.string(), z.unknown());

/**
 * The message a job names, as the outbox holds it. A job is only a pointer: whatever topic, order or payload it
 * carries is ignored, so a job put on the queue by anything but the relay (the dashboard, a Redis client)
 * cannot make a provider call the orders core never wrote. A row already delivered, or none at all, is
 * refused for good; so is a dead row, unless this is the row's own job retried from the dashboard.
 * (`enqueued` is the relay's own mark; `pending` is seen when the worker takes the job before the relay's
 * transaction has committed that mark.)
 */
async function messageFromOutbox(
  ctx: WorkerContext,
  outboxId: number,
  jobId: string | undefined,
): Promise<OutboundJob> {
  const row = await ctx.db
    .selectFrom('outbox')
    .select(['id', 'topic', 'order_id', 'payload', 'status'])
    .where('id', '=', outboxId)
    .executeTakeFirst();
  if (!row) throw new UnrecoverableError(`outbox message ${outboxId} does not exist`);
  const retriedOwnJob = row.status === 'dead' && jobId === outboundJobId(row.id);
  if (row.status !== 'pending' && row.status !== 'enqueued' && !retriedOwnJob) {
    throw new UnrecoverableError(`outbox message ${outboxId} is ${row.status}, not waiting to be sent`);
  }
  const payload = outboxPayload.safeParse(row.payload ?? {});
  if (!payload.success) throw new UnrecoverableError(`outbox message ${outboxId} has no object payload`);
  return { outboxId: row.id, topic: row.topic, orderId: row.order_id, payload: payload.data };
}

/**
 * Delivers one outbox message. Every attempt and its outcome goes on the order's timeline; a message that
 * exhausts its attempts (or is refused for good) flags the order for attention with the provider's answer.
 */
export function createOutboundProcessor(
  ctx: WorkerContext,
  processors: ReadonlyMap<string, OutboundProcessor>,
) {
  // Every delivered message's settlement and timeline entry: concurrent ones in one statement.
  const settler = createCoalescer<DeliveredMessage, void>(
    async (delivered) => {
      await settleDelivered(ctx.db, delivered);
      return delivered.map(() => undefined);
    },
    { maxBatch: 128, maxInFlight: 2 },
  );
  return async (job: Job<OutboundJob>): Promise<void> => {
    const parsed = outboundJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid outbound job payload: ${parsed.error.message}`);
    const data = await messageFromOutbox(ctx, parsed.data.outboxId, job.id);
    const processor = processors.get(data.topic);
    if (!processor) throw new UnrecoverableError(`no processor for outbound topic ${data.topic}`);
    const attempt = job.attemptsMade + 1;
    const logger = ctx.logger.child({ outboxId: data.outboxId, topic: data.topic, orderId: data.orderId });
    let result: Awaited<ReturnType<OutboundProcessor>>;
    try {
      result = await processor({ ...ctx, logger }, data, job);
    } catch (err) {
      const refused = !isRetryable(err);
      const final = refused || attempt >= (job.opts.attempts ?? 1);
      logger.warn({ err: errorMessage(err), attempt, final }, 'outbound call failed');
      // One transaction: a dead row always has its timeline entry and its order's attention flag.
      await ctx.db.transaction().execute((trx) =>
        recordOutboundFailure(trx, {
          outboxId: data.outboxId,
          orderId: data.orderId ?? null,
          topic: data.topic,
          attempt,
          final,
          refused,
          error: errorMessage(err),
        }),
      );
      throw toJobError(err);
    }
    const sent = !result || result.sent;
    const detail = result?.message ? `: ${result.message}` : '';
    try {
      await settler.submit({
        outboxId: data.outboxId,
        orderId: data.orderId ?? null,
        message: sent
          ? `${data.topic} delivered (attempt ${attempt})${detail}`
          : `${data.topic} not sent${detail}`,
        metadata: {
          topic: data.topic,
          outboxId: data.outboxId,
          attempt,
          outcome: sent ? 'succeeded' : 'not_sent',
        },
      });
    } catch (err) {
      // The provider has the message: failing the job would send it again. The row stays `enqueued`, and the
      // outbox sweeper settles it from this completed job.
      logger.warn(
        { err: errorMessage(err) },
        'delivered, but the outbox row could not be settled; the sweeper will',
      );
    }
  };
}
