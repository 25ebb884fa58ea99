import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { InboundEvent } from '../db/schema.js';
import { openEventIntervention } from '../inbox/interventions.js';
import { type EventMark, findInboundEvents, markEvents } from '../inbox/repository.js';
import type { HandlerResult, Integration, WorkerContext } from '../integrations/types.js';
import { createCoalescer, type Settled, settle, unwrap } from '../lib/coalesce.js';
import { errorMessage, isConnectionError } from '../lib/errors.js';
import { causeKeys, resolveInterventionByCause } from '../orders/interventions.js';
import { type InboxJob, inboxJobSchema } from '../queues/index.js';
import { isRetryable, toJobError } from '../queues/retry.js';

const finished = new Set(['processed', 'attention', 'dead']);

/** Batches a worker runs at once: while one waits on Postgres the next is read and built. */
export const BATCHES_IN_FLIGHT = 2;

export interface InboxProcessorOptions {
  /** Most jobs handled together (one read of their events, one write of their outcomes). */
  maxBatch?: number;
  /**
   * Called after every batch (its commands may have written outbox rows): the relay passes soon instead of
   * at its next tick, so a message leaves with its order, not up to a poll later.
   */
  afterBatch?: () => void;
}

/**
 * Runs inbox events through their integration's handler and records each outcome on its inbox row. BullMQ
 * delivers at least once: an event already finished is skipped, and handlers are idempotent for the case
 * where the process died between the handler's commit and the row update.
 *
 * The jobs a worker runs concurrently are handled as a batch (group commit): one statement reads their
 * events, an integration with `handleEvents` gets them together (Yemeksepeti creates their orders in one
 * transaction), and one statement records every outcome. Each job still succeeds or fails on its own.
 */
export function createInboxProcessor(
  ctx: WorkerContext,
  integrations: ReadonlyMap<string, Integration>,
  options: InboxProcessorOptions = {},
) {
  const batcher = createCoalescer<Job<InboxJob>, Settled<string>>(
    async (jobs) => {
      const outcomes = await processBatch(ctx, integrations, jobs);
      options.afterBatch?.();
      return outcomes;
    },
    { maxBatch: options.maxBatch ?? 64, maxInFlight: BATCHES_IN_FLIGHT },
  );
  return async (job: Job<InboxJob>): Promise<string> => unwrap(await batcher.submit(job));
}

interface Work {
  job: Job<InboxJob>;
  event: InboundEvent;
  attempts: number;
  logger: () => WorkerContext['logger'];
}

async function processBatch(
  ctx: WorkerContext,
  integrations: ReadonlyMap<string, Integration>,
  jobs: readonly Job<InboxJob>[],
): Promise<Settled<string>[]> {
  const outcomes: Settled<string>[] = jobs.map(() => ({ ok: false, error: new Error('not handled') }));
  const ids = new Map<number, string>();
  jobs.forEach((job, i) => {
    const parsed = inboxJobSchema.safeParse(job.data);
    if (parsed.success) ids.set(i, parsed.data.eventId);
    else
      outcomes[i] = {
        ok: false,
        error: new UnrecoverableError(`invalid inbox job payload: ${parsed.error.message}`),
      };
  });
  const events = new Map((await findInboundEvents(ctx.db, [...new Set(ids.values())])).map((e) => [e.id, e]));

  const marks: EventMark[] = [];
  /** The job (index in `jobs`) each mark belongs to. */
  const markOf: number[] = [];
  const mark = (index: number, eventMark: EventMark) => {
    marks.push(eventMark);
    markOf.push(index);
  };
  const bySource = new Map<Integration, { index: number; work: Work }[]>();
  for (const [index, eventId] of ids) {
    const job = jobs[index];
    const event = events.get(eventId);
    if (!job) continue;
    if (!event) {
      outcomes[index] = { ok: false, error: new UnrecoverableError(`inbox event ${eventId} does not exist`) };
      continue;
    }
    if (finished.has(event.status)) {
      outcomes[index] = { ok: true, value: `already ${event.status}` };
      continue;
    }
    const attempts = job.attemptsMade + 1;
    const stale = staleNotice(event.meta, ctx.config.NOTIFICATION_MAX_AGE_MS);
    if (stale) {
      ctx.logger.warn({ eventId, source: event.source }, 'stale notification held for attention');
      mark(index, { id: eventId, status: 'attention', outcome: stale, error: null, attempts });
      outcomes[index] = { ok: true, value: stale };
      continue;
    }
    const integration = integrations.get(event.source);
    if (!integration) {
      const error = `no integration handles source ${event.source}`;
      mark(index, { id: eventId, status: 'dead', error, attempts });
      outcomes[index] = { ok: false, error: new UnrecoverableError(error) };
      continue;
    }
    const group = bySource.get(integration) ?? [];
    // The event's logger is made only when something is logged (a pino child per event costs on this path).
    const logger = () =>
      ctx.logger.child({ eventId: event.id, source: event.source, externalOrderId: event.external_order_id });
    group.push({ index, work: { job, event, attempts, logger } });
    bySource.set(integration, group);
  }

  await Promise.all(
    [...bySource].map(async ([integration, group]) => {
      const works = group.map((g) => g.work);
      const results = await handleGroup(ctx, integration, works);
      group.forEach(({ index, work }, i) => {
        const result = results[i] ?? { ok: false, error: new Error('the integration returned no result') };
        const settled = settleEvent(work, result);
        mark(index, settled.mark);
        const { outcome } = settled;
        outcomes[index] = outcome;
      });
    }),
  );
  // The outcomes in one statement. If Postgres is unreachable every job of the batch fails and is retried
  // (handlers are idempotent, and the events are still open); if it refuses the statement, the marks are
  // written one by one so that one bad mark fails only its own job.
  const marked = await settle(markEvents(ctx.db, marks));
  if (!marked.ok) {
    if (marks.length <= 1 || isConnectionError(marked.error)) throw marked.error;
    const alone = await Promise.all(marks.map((m) => settle(markEvents(ctx.db, [m]))));
    alone.forEach((result, n) => {
      const index = markOf[n];
      if (!result.ok && index !== undefined) outcomes[index] = { ok: false, error: result.error };
    });
  }
  await recordInterventions(ctx, marks, events);
  return outcomes;
}

/**
 * Events that ended dead or needing attention get their intervention; a replayed event that is now processed
 * settles its own. Only those events cost a statement: the common path (a new event processed) has none.
 * Not in the marks' statement, so a failure here is logged, not the jobs': reconciliation opens any entry
 * that is missing.
 */
async function recordInterventions(
  ctx: WorkerContext,
  marks: readonly EventMark[],
  events: ReadonlyMap<string, InboundEvent>,
): Promise<void> {
  for (const mark of marks) {
    const event = events.get(mark.id);
    if (!event) continue;
    const replayed = typeof (event.meta as { replayedAt?: unknown }).replayedAt === 'string';
    const done = await settle(async () => {
      if (mark.status === 'dead' || mark.status === 'attention') {
        await openEventIntervention(ctx.db, event, mark.status, mark.error ?? mark.outcome);
      } else if (mark.status === 'processed' && replayed) {
        await resolveInterventionByCause(ctx.db, causeKeys.event(event.id), {
          actor: 'worker',
          note: `the replayed event was processed${mark.outcome ? `: ${mark.outcome}` : ''}`,
        });
      }
    });
    if (!done.ok)
      ctx.logger.warn({ eventId: event.id, err: errorMessage(done.error) }, 'intervention not recorded');
  }
}

/** The integration's batch handler when it has one, else one handler run per event, concurrently. */
async function handleGroup(
  ctx: WorkerContext,
  integration: Integration,
  works: readonly Work[],
): Promise<Settled<HandlerResult>[]> {
  if (integration.handleEvents && works.length > 1) {
    const { handleEvents } = integration;
    const handled = await settle(() =>
      handleEvents(
        ctx,
        works.map((w) => w.event),
      ),
    );
    if (handled.ok && handled.value.length === works.length) return handled.value;
    ctx.logger.warn(
      { err: handled.ok ? 'wrong number of results' : errorMessage(handled.error) },
      'batch handler failed; handling the events one by one',
    );
  }
  return Promise.all(
    // A handler that throws before returning its promise fails only its own event.
    works.map((w) => settle(() => integration.handleEvent({ ...ctx, logger: w.logger() }, w.event))),
  );
}

function settleEvent(
  work: Work,
  result: Settled<HandlerResult>,
): { mark: EventMark; outcome: Settled<string> } {
  const { event, job, attempts, logger } = work;
  if (result.ok) {
    const handled = result.value;
    if (handled.status === 'attention') logger().warn({ outcome: handled.outcome }, 'event needs attention');
    return {
      mark: {
        id: event.id,
        status: handled.status === 'attention' ? 'attention' : 'processed',
        outcome: handled.outcome ?? null,
        error: null,
        attempts,
      },
      outcome: { ok: true, value: handled.outcome ?? handled.status },
    };
  }
  const err = result.error;
  const final = !isRetryable(err) || attempts >= (job.opts.attempts ?? 1);
  logger().warn(
    { err: errorMessage(err), attempts, final },
    final ? 'event is dead' : 'event failed; will retry',
  );
  return {
    mark: { id: event.id, status: final ? 'dead' : 'failed', error: errorMessage(err), attempts },
    outcome: { ok: false, error: toJobError(err) },
  };
}

/**
 * A notification signed longer ago than `maxAgeMs` (the route puts the provider's signed timestamp in the
 * event's meta as `signedAt`) is kept for a person to look at, not applied: a captured notification replayed
 * a day later must not move an order. Returns the outcome to record, or undefined for a fresh one.
 */
export function staleNotice(meta: unknown, maxAgeMs: number, now = Date.now()): string | undefined {
  if (maxAgeMs <= 0 || typeof meta !== 'object' || meta === null) return undefined;
  const signedAt = (meta as { signedAt?: unknown }).signedAt;
  if (typeof signedAt !== 'string') return undefined;
  const at = Date.parse(signedAt);
  if (Number.isNaN(at) || now - at <= maxAgeMs) return undefined;
  return `stale: signed at ${new Date(at).toISOString()}, older than ${Math.round(maxAgeMs / 60_000)} min; not applied`;
}
