import type { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import type { OutboxRow } from '../../db/schema.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { countMatches, listPage, pageQuery, parseQuery, validate } from '../../http/input.js';
import { AppError } from '../../lib/errors.js';
import { adminActor } from '../../lib/roles.js';
import { replayOutboxMessage } from '../../outbox/replay.js';

const outboxStatuses = ['pending', 'enqueued', 'delivered', 'dead'] as const;

export const outboxListQuery = z
  .object({
    status: z.enum(outboxStatuses).optional(),
    topic: z.string().min(1).max(100).optional(),
    orderId: z.uuid().optional(),
    ...pageQuery({ defaultLimit: 50, maxLimit: 200 }),
  })
  .strict();

export type OutboxListFilter = Partial<z.output<typeof outboxListQuery>> & { page: number; limit: number };

/** Outbox ids are bigint identities; held to the safe-integer range so they survive JSON and `Number`. */
export const outboxIdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'a positive integer')
    .transform(Number)
    .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
});

const isoTime = z.iso.datetime();

/** An outbox message as the admin API answers it (a list row; the detail adds its payload). */
export const outboxDtoSchema = z.object({
  id: z.int().positive(),
  orderId: z.uuid().nullable(),
  topic: z.string().describe('What it does: a provider call or a hand-off to one of our queues'),
  status: z.enum(outboxStatuses),
  lastError: z.string().nullable(),
  createdAt: isoTime,
  enqueuedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
});
export const outboxDetailDtoSchema = outboxDtoSchema.extend({ payload: z.unknown() });
export const outboxReplayAnswerSchema = z.object({
  outboxId: z.int().positive(),
  status: z.literal('pending'),
});

function toOutboxDto(m: OutboxRow): z.output<typeof outboxDtoSchema> {
  return {
    id: Number(m.id),
    orderId: m.order_id,
    topic: m.topic,
    status: m.status,
    lastError: m.last_error,
    createdAt: m.created_at.toISOString(),
    enqueuedAt: m.enqueued_at ? m.enqueued_at.toISOString() : null,
    finishedAt: m.finished_at ? m.finished_at.toISOString() : null,
  };
}

/**
 * A page of outbox messages matching the filter, newest first, with the filter's capped total (`listPage`):
 * the admin API and the console's events page read through it.
 */
export function listOutbox(db: Db, q: OutboxListFilter) {
  let query = db.selectFrom('outbox');
  if (q.status) query = query.where('status', '=', q.status);
  if (q.topic) query = query.where('topic', '=', q.topic);
  if (q.orderId) query = query.where('order_id', '=', q.orderId);
  return listPage(
    q,
    (limit, offset) => query.selectAll().orderBy('id', 'desc').limit(limit).offset(offset).execute(),
    countMatches(db, (cap) => query.select('id').limit(cap)),
    (m) => m,
  );
}

/**
 * The outbox for operators: every side effect an order's transaction wrote (provider calls, hand-offs to our
 * own queues), how its delivery ended, and a replay for the dead ones.
 */
export function registerAdminOutboxRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/outbox', async (c) => {
    const listed = await listOutbox(deps.db, parseQuery(c, outboxListQuery));
    return c.json({ ...listed, data: listed.data.map(toOutboxDto) });
  });

  app.get('/admin/outbox/:id', async (c) => {
    const { id } = validate(outboxIdParam, c.req.param(), 'outbox id');
    const message = await deps.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!message) throw new AppError('not_found', 'outbox message not found', { details: { id } });
    const detail: z.output<typeof outboxDetailDtoSchema> = {
      ...toOutboxDto(message),
      payload: message.payload,
    };
    return c.json(detail);
  });

  app.post('/admin/outbox/:id/replay', async (c) => {
    const { id } = validate(outboxIdParam, c.req.param(), 'outbox id');
    await replayOutboxMessage(deps.db, deps.queues.outbound, id, adminActor(c.get('principal')));
    return c.json(
      { outboxId: id, status: 'pending' } satisfies z.output<typeof outboxReplayAnswerSchema>,
      202,
    );
  });
}
