import type { Hono } from 'hono';
import { z } from 'zod';
import type { OutboxRow } from '../../db/schema.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { listPage, pageQuery, parseQuery, validate } from '../../http/input.js';
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

/** Outbox ids are bigint identities; held to the safe-integer range so they survive JSON and `Number`. */
export const outboxIdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'a positive integer')
    .transform(Number)
    .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
});

function toOutboxDto(m: OutboxRow, withPayload: boolean) {
  return {
    id: Number(m.id),
    orderId: m.order_id,
    topic: m.topic,
    status: m.status,
    lastError: m.last_error,
    createdAt: m.created_at.toISOString(),
    enqueuedAt: m.enqueued_at ? m.enqueued_at.toISOString() : null,
    finishedAt: m.finished_at ? m.finished_at.toISOString() : null,
    ...(withPayload ? { payload: m.payload } : {}),
  };
}

/**
 * The outbox for operators: every side effect an order's transaction wrote (provider calls, hand-offs to our
 * own queues), how its delivery ended, and a replay for the dead ones.
 */
export function registerAdminOutboxRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/outbox', async (c) => {
    const q = parseQuery(c, outboxListQuery);
    let query = deps.db.selectFrom('outbox');
    if (q.status) query = query.where('status', '=', q.status);
    if (q.topic) query = query.where('topic', '=', q.topic);
    if (q.orderId) query = query.where('order_id', '=', q.orderId);
    return c.json(
      await listPage(
        q,
        (limit, offset) => query.selectAll().orderBy('id', 'desc').limit(limit).offset(offset).execute(),
        (cap) =>
          deps.db
            .selectFrom(query.select('id').limit(cap).as('matches'))
            .select((eb) => eb.fn.countAll<number>().as('total'))
            .executeTakeFirstOrThrow(),
        (m) => toOutboxDto(m, false),
      ),
    );
  });

  app.get('/admin/outbox/:id', async (c) => {
    const { id } = validate(outboxIdParam, c.req.param(), 'outbox id');
    const message = await deps.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!message) throw new AppError('not_found', 'outbox message not found', { details: { id } });
    return c.json(toOutboxDto(message, true));
  });

  app.post('/admin/outbox/:id/replay', async (c) => {
    const { id } = validate(outboxIdParam, c.req.param(), 'outbox id');
    await replayOutboxMessage(deps.db, deps.queues.outbound, id, adminActor(c.get('principal')));
    return c.json({ outboxId: id, status: 'pending' }, 202);
  });
}
