import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { InboundEvent, InboundEventStatus } from '../db/schema.js';

export function findInboundEvent(db: Executor, id: string): Promise<InboundEvent | undefined> {
  return db.selectFrom('inbound_events').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markEvent(
  db: Executor,
  id: string,
  status: InboundEventStatus,
  fields: { error?: string | null; outcome?: string | null; attempts?: number } = {},
): Promise<void> {
  const terminal = status === 'processed' || status === 'attention' || status === 'dead';
  await db
    .updateTable('inbound_events')
    .set({
      status,
      ...(fields.error !== undefined ? { last_error: fields.error } : {}),
      ...(fields.outcome !== undefined ? { outcome: fields.outcome } : {}),
      ...(fields.attempts !== undefined ? { attempts: fields.attempts } : {}),
      ...(terminal ? { processed_at: sql`now()` } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
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
