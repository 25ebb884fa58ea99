import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// Reconciliation's checks (src/reconciliation/run.ts, every 15 minutes) look for the few rows that need an
// operator. Without these indexes three of them read every order or every reservation: at 1,000,000 orders
// about 5 s of Postgres work per run, competing with the order path (docs/benchmarks.md, 2026-12-04). Each
// index holds only the rows its check reports (for reservations: the open ones, i.e. the open orders').
//
// Building them holds a SHARE lock on orders and stock_reservations until the migration commits: order writes
// wait (about 0.65 s at 1,000,000 orders and 2,000,000 reservations), pushes do not (they write the inbox). On
// a larger table, create them beforehand with `create index concurrently if not exists …` (the same
// definitions) and this migration finds them there. A reservation's status change can no longer be a HOT
// update (its status is in an index predicate now): one more primary-key entry per change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists orders_attention on orders (created_at)
    where attention_reason is not null`.execute(db);
  await sql`create index if not exists orders_cancelled_unrefunded on orders (created_at)
    where status = 'cancelled' and payment_status in ('paid', 'partially_refunded') and refunded_total < total`.execute(
    db,
  );
  await sql`create index if not exists stock_reservations_reserved on stock_reservations (order_id)
    where status = 'reserved'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists stock_reservations_reserved`.execute(db);
  await sql`drop index if exists orders_cancelled_unrefunded`.execute(db);
  await sql`drop index if exists orders_attention`.execute(db);
}
