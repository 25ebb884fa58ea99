import type { Hono } from 'hono';
import { z } from 'zod';
import type { InboundEvent } from '../../db/schema.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { listPage, pageQuery, parseQuery, validate } from '../../http/input.js';
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

export const eventIdParam = z.object({ id: z.uuid() });

function toEventDto(e: InboundEvent, withPayload: boolean) {
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
    ...(withPayload ? { payload: e.payload, meta: e.meta } : {}),
  };
}

export function registerAdminEventRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/events', async (c) => {
    const q = parseQuery(c, eventListQuery);
    let query = deps.db.selectFrom('inbound_events');
    if (q.source) query = query.where('source', '=', q.source);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.externalOrderId) query = query.where('external_order_id', '=', q.externalOrderId);
    return c.json(
      await listPage(
        q,
        (limit, offset) =>
          query
            .selectAll()
            .orderBy('received_at', 'desc')
            .orderBy('id', 'desc')
            .limit(limit)
            .offset(offset)
            .execute(),
        () => query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
        (e) => toEventDto(e, false),
      ),
    );
  });

  app.get('/admin/events/:id', async (c) => {
    const { id } = validate(eventIdParam, c.req.param(), 'event id');
    const event = await findInboundEvent(deps.db, id);
    if (!event) throw new AppError('not_found', 'event not found', { details: { id } });
    return c.json(toEventDto(event, true));
  });

  app.post('/admin/events/:id/replay', async (c) => {
    const { id } = validate(eventIdParam, c.req.param(), 'event id');
    const { enqueued } = await replayEvent(deps.db, deps.queues.inbox, id);
    if (!enqueued)
      c.var.logger.warn({ eventId: id }, 'replayed event not enqueued; the sweeper will enqueue it');
    return c.json({ eventId: id, status: 'received', enqueued }, 202);
  });
}
