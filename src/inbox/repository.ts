import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { InboundEvent, InboundEventStatus } from '../db/schema.js';

export function findInboundEvent(db: Executor, id: string): Promise<InboundEvent | undefined> {
  return db.selectFrom('inbound_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * An inbox row's status, locked until the transaction ends: a replay or the sweeper decides on it while a worker
 * settling the same event waits.
 */
export function lockInboundEvent(
  trx: Executor,
  id: string,
): Promise<Pick<InboundEvent, 'status' | 'last_error'> | undefined> {
  return trx
    .selectFrom('inbound_events')
    .select(['status', 'last_error'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** Several inbox rows in one statement (the worker reads a batch of jobs' events at once). */
export function findInboundEvents(db: Executor, ids: readonly string[]): Promise<InboundEvent[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('inbound_events').selectAll().where('id', 'in', ids).execute();
}

export interface EventMark {
  id: string;
  status: InboundEventStatus;
  /** Fields left undefined keep their stored value. */
  error?: string | null;
  outcome?: string | null;
  attempts?: number;
}

export async function markEvent(
  db: Executor,
  id: string,
  status: InboundEventStatus,
  fields: { error?: string | null; outcome?: string | null; attempts?: number } = {},
): Promise<void> {
  await markEvents(db, [{ id, status, ...fields }]);
}

/**
 * Records how several events ended in one statement; a terminal status (processed, attention, dead) stamps
 * `processed_at`.
 */
export async function markEvents(db: Executor, marks: readonly EventMark[]): Promise<void> {
  if (marks.length === 0) return;
  await sql`
    update inbound_events as e set
      status = v.status,
      last_error = case when v.set_error then v.error else e.last_error end,
      outcome = case when v.set_outcome then v.outcome else e.outcome end,
      attempts = coalesce(v.attempts, e.attempts),
      processed_at = case when v.status in ('processed', 'attention', 'dead') then now() else e.processed_at end,
      updated_at = now()
    from unnest(
      ${marks.map((m) => m.id)}::uuid[],
      ${marks.map((m) => m.status)}::text[],
      ${marks.map((m) => m.error !== undefined)}::boolean[],
      ${marks.map((m) => m.error ?? null)}::text[],
      ${marks.map((m) => m.outcome !== undefined)}::boolean[],
      ${marks.map((m) => m.outcome ?? null)}::text[],
      ${marks.map((m) => m.attempts ?? null)}::int[]
    ) as v(id, status, set_error, error, set_outcome, outcome, attempts)
    where e.id = v.id`.execute(db);
}

/** Inbox rows still waiting for a worker after `olderThanMs`: candidates for the sweeper. */
export function findUnfinishedEvents(
  db: Executor,
  olderThanMs: number,
  limit: number,
): Promise<InboundEvent[]> {
  return db
    .selectFrom('inbound_events')
    .selectAll()
    .where('status', 'in', ['received', 'failed'])
    .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('received_at')
    .limit(limit)
    .execute();
}
