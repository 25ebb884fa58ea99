import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// The operators' view of the outbox: its dead messages (waiting for a replay) and an order's messages, each
// found by an index rather than a scan of every message ever sent.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index outbox_dead on outbox (id) where status = 'dead'`.execute(db);
  await sql`create index outbox_order on outbox (order_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists outbox_order`.execute(db);
  await sql`drop index if exists outbox_dead`.execute(db);
}
