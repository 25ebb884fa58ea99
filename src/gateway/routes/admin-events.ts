import type { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import type { InboundEvent } from '../../db/schema.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { countMatches, listPage, pageQuery, parseQuery, validate } from '../../http/input.js';
import { replayEvent } from '../../inbox/replay.js';
import { findInboundEvent } from '../../inbox/repository.js';
import { AppError } from '../../lib/errors.js';

const eventStatuses = ['received', 'failed', 'processed', 'dead', 'attention'] as const;

export const eventListQuery = z
  .object({
    source: z.string().min(1).max(64).optional(),
    status: z.enum(eventStatuses).optional(),
    externalOrderId: z.string().min(1).max(200).optional(),
    ...pageQuery({ defaultLimit: 50, maxLimit: 200 }),
  })
  .strict();

export type EventListFilter = Partial<z.output<typeof eventListQuery>> & { page: number; limit: number };

export const eventIdParam = z.object({ id: z.uuid() });

const isoTime = z.iso.datetime();

/** An inbox event as the admin API answers it (a list row; the detail adds its payload and meta). */
export const eventDtoSchema = z.object({
  id: z.uuid(),
  source: z.string().describe('The channel that pushed it'),
  dedupKey: z.string(),
  eventType: z.string(),
  externalOrderId: z.string().nullable(),
  status: z.enum(eventStatuses),
  attempts: z.int(),
  lastError: z.string().nullable(),
  outcome: z.string().nullable().describe('What processing did, or why it needs a person'),
  receivedAt: isoTime,
  processedAt: isoTime.nullable(),
});
export const eventDetailDtoSchema = eventDtoSchema.extend({
  payload: z.unknown().describe('The body exactly as received, parsed'),
  meta: z.record(z.string(), z.unknown()),
});
export const eventReplayAnswerSchema = z.object({
  eventId: z.uuid(),
  status: z.literal('received'),
  enqueued: z.boolean().describe('False when the queue was unreachable: the sweeper enqueues it later'),
});

function toEventDto(e: InboundEvent): z.output<typeof eventDtoSchema> {
  return {
    id: e.id,
    source: e.source,
    dedupKey: e.dedup_key,
    eventType: e.event_type,
    externalOrderId: e.external_order_id,
    status: e.status,
    attempts: e.attempts,
    lastError: e.last_error,
    outcome: e.outcome,
    receivedAt: e.received_at.toISOString(),
    processedAt: e.processed_at ? e.processed_at.toISOString() : null,
  };
}

/**
 * A page of inbox events matching the filter, newest first, with the filter's capped total (`listPage`):
 * the admin API and the console's events page read through it.
 */
export function listEvents(db: Db, q: EventListFilter) {
  let query = db.selectFrom('inbound_events');
  if (q.source) query = query.where('source', '=', q.source);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.externalOrderId) query = query.where('external_order_id', '=', q.externalOrderId);
  return listPage(
    q,
    (limit, offset) =>
      query
        .selectAll()
        .orderBy('received_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
    countMatches(db, (cap) => query.select('id').limit(cap)),
    (e) => e,
  );
}

export function registerAdminEventRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/events', async (c) => {
    const listed = await listEvents(deps.db, parseQuery(c, eventListQuery));
    return c.json({ ...listed, data: listed.data.map(toEventDto) });
  });

  app.get('/admin/events/:id', async (c) => {
    const { id } = validate(eventIdParam, c.req.param(), 'event id');
    const event = await findInboundEvent(deps.db, id);
    if (!event) throw new AppError('not_found', 'event not found', { details: { id } });
    const detail: z.output<typeof eventDetailDtoSchema> = {
      ...toEventDto(event),
      payload: event.payload,
      meta: event.meta,
    };
    return c.json(detail);
  });

  app.post('/admin/events/:id/replay', async (c) => {
    const { id } = validate(eventIdParam, c.req.param(), 'event id');
    const { enqueued } = await replayEvent(deps.db, deps.queues.inbox, id);
    if (!enqueued)
      c.var.logger.warn({ eventId: id }, 'replayed event not enqueued; the sweeper will enqueue it');
    return c.json(
      { eventId: id, status: 'received', enqueued } satisfies z.output<typeof eventReplayAnswerSchema>,
      202,
    );
  });
}
