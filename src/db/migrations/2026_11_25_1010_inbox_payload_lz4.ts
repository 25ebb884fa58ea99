import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types. Change the schema with a new migration.

/**
 * Provider bodies are ~2 KB of JSON, just over the TOAST threshold, so every inbox insert compressed its
 * payload with pglz (~16 µs a row here) on the ingestion hot path; lz4 does it in about a third of that.
 * Servers built without lz4 (and PGlite) keep pglz: the change is skipped, nothing else depends on it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$
    begin
      alter table inbound_events alter column payload set compression lz4;
    exception when others then
      raise notice 'lz4 compression unavailable, inbound_events.payload keeps the default';
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inbound_events alter column payload set compression default`.execute(db);
}
