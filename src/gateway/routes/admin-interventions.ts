import type { Hono } from 'hono';
import { z } from 'zod';
import type { Intervention } from '../../db/schema.js';
import { resolveBody } from '../../http/action-bodies.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { pageOffset, pageQuery, parseQuery, readJsonBody, validate } from '../../http/input.js';
import { replayEvent } from '../../inbox/replay.js';
import { AppError, RuleViolation } from '../../lib/errors.js';
import { adminActor } from '../../lib/roles.js';
import {
  findIntervention,
  type InterventionSource,
  listInterventions,
  resolveIntervention,
} from '../../orders/interventions.js';
import { replayOutboxMessage } from '../../outbox/replay.js';

const sources = [
  'order_attention',
  'dead_event',
  'dead_outbox',
  'rule_refusal',
  'provider_order_rejected',
  'reconciliation',
  'payment_mismatch',
] as const satisfies readonly InterventionSource[];

export const interventionListQuery = z
  .object({
    state: z.enum(['open', 'resolved']).optional(),
    source: z.enum(sources).optional(),
    orderId: z.uuid().optional(),
    // The same cap as /admin/orders.
    ...pageQuery({ defaultLimit: 50, maxLimit: 200 }),
  })
  .strict();

export const interventionIdParam = z.object({ id: z.uuid() });

const isoTime = z.iso.datetime();

/** An intervention as the admin API answers it. */
export const interventionDtoSchema = z.object({
  id: z.uuid(),
  source: z.string().describe(`What opened it: ${sources.join(', ')}`),
  causeKey: z.string().describe('One entry per cause: a cause seen again counts an occurrence'),
  state: z.enum(['open', 'resolved']),
  orderId: z.uuid().nullable(),
  eventId: z.uuid().nullable(),
  outboxId: z.int().positive().nullable(),
  summary: z.string(),
  details: z.record(z.string(), z.unknown()),
  actions: z.array(z.string()).describe('What a person can do about it'),
  occurrences: z.int().min(1),
  openedAt: isoTime,
  lastSeenAt: isoTime,
  resolvedAt: isoTime.nullable(),
  resolvedBy: z.string().nullable(),
  resolutionNote: z.string().nullable(),
  acknowledged: z.boolean(),
});
export const interventionReplayAnswerSchema = z.union([
  z.object({
    interventionId: z.uuid(),
    eventId: z.uuid(),
    status: z.literal('received'),
    enqueued: z.boolean(),
  }),
  z.object({ interventionId: z.uuid(), outboxId: z.int().positive(), status: z.literal('pending') }),
]);
type ReplayAnswer = z.output<typeof interventionReplayAnswerSchema>;

function toInterventionDto(i: Intervention): z.output<typeof interventionDtoSchema> {
  return {
    id: i.id,
    source: i.source,
    causeKey: i.cause_key,
    state: i.state,
    orderId: i.order_id,
    eventId: i.event_id,
    outboxId: i.outbox_id === null ? null : Number(i.outbox_id),
    summary: i.summary,
    details: i.details,
    actions: i.actions,
    occurrences: i.occurrences,
    openedAt: i.opened_at.toISOString(),
    lastSeenAt: i.last_seen_at.toISOString(),
    resolvedAt: i.resolved_at ? i.resolved_at.toISOString() : null,
    resolvedBy: i.resolved_by,
    resolutionNote: i.resolution_note,
    acknowledged: i.acknowledged,
  };
}

/**
 * One queue for everything that needs a person (`src/orders/interventions.ts`): read it, resolve an entry
 * with a note (on the order's timeline too), acknowledge a reconciliation finding so later runs skip it, and
 * replay the dead event or outbox message an entry names. Reads need the viewer role, the rest an operator.
 */
export function registerAdminInterventionRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/interventions', async (c) => {
    const q = parseQuery(c, interventionListQuery);
    const { rows, total } = await listInterventions(
      deps.db,
      { state: q.state, source: q.source, orderId: q.orderId },
      { limit: q.limit, offset: pageOffset(q) },
    );
    return c.json({ data: rows.map(toInterventionDto), page: q.page, limit: q.limit, total });
  });

  app.get('/admin/interventions/:id', async (c) => {
    const { id } = validate(interventionIdParam, c.req.param(), 'intervention id');
    const entry = await findIntervention(deps.db, id);
    if (!entry) throw new AppError('not_found', 'intervention not found', { details: { id } });
    return c.json(toInterventionDto(entry));
  });

  for (const [path, acknowledge] of [
    ['resolve', false],
    ['acknowledge', true],
  ] as const) {
    app.post(`/admin/interventions/:id/${path}`, async (c) => {
      const { id } = validate(interventionIdParam, c.req.param(), 'intervention id');
      const { note } = validate(resolveBody, (await readJsonBody(c)).json);
      const resolved = await deps.db
        .transaction()
        .execute((trx) =>
          resolveIntervention(trx, { id, actor: adminActor(c.get('principal')), note, acknowledge }),
        );
      return c.json(toInterventionDto(resolved));
    });
  }

  // The entry stays open until the replay succeeds: the worker (an event) or reconciliation (an outbox
  // message delivered) resolves it then.
  app.post('/admin/interventions/:id/replay', async (c) => {
    const { id } = validate(interventionIdParam, c.req.param(), 'intervention id');
    const entry = await findIntervention(deps.db, id);
    if (!entry) throw new AppError('not_found', 'intervention not found', { details: { id } });
    if (entry.state !== 'open') throw new AppError('conflict', `intervention ${id} is already resolved`);
    if (entry.event_id) {
      const { enqueued } = await replayEvent(deps.db, deps.queues.inbox, entry.event_id);
      return c.json(
        { interventionId: id, eventId: entry.event_id, status: 'received', enqueued } satisfies ReplayAnswer,
        202,
      );
    }
    if (entry.outbox_id !== null) {
      const outboxId = Number(entry.outbox_id);
      await replayOutboxMessage(deps.db, deps.queues.outbound, outboxId, adminActor(c.get('principal')));
      return c.json({ interventionId: id, outboxId, status: 'pending' } satisfies ReplayAnswer, 202);
    }
    throw new RuleViolation('nothing_to_replay', 'this entry names no event or outbox message to replay', {
      id,
    });
  });
}
