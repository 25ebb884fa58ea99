import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types. Change the schema with a new migration.

/**
 * The admin search filters by payment status (e.g. every failed payment) newest first; without this index
 * the count of a rare payment status read the whole orders table (measured in docs/benchmarks.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists orders_payment_status_created_at on orders (payment_status, created_at desc)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists orders_payment_status_created_at`.execute(db);
}
