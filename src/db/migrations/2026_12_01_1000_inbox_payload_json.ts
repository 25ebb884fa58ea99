import { type Kysely, sql } from 'kysely';
import { up as setPayloadLz4 } from './2026_11_25_1010_inbox_payload_lz4.js';

// Frozen: this migration never imports application types (only the frozen migration whose step it repeats).
// Change the schema with a new migration.

/**
 * The inbox keeps provider bodies as `json`, the text as received, instead of `jsonb`. Nothing queries
 * inside a payload but a rare `->>` (which json has too); jsonb's parse and binary rebuild of each ~2 KB body
 * was a third of Postgres' time per inbox insert, and it could not hold every body JSON allows (a number
 * beyond numeric's range). The text also keeps what a provider sent. lz4 is set again where the server has
 * it (the type change rewrites the column).
 *
 * The rewrite holds an exclusive lock on the inbox for as long as it takes, so pushes wait (or get 503) that
 * long: on a large inbox, run it in a quiet window. `down` fails on a row jsonb cannot hold (such as a
 * number beyond numeric's range, which `json` accepts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inbound_events alter column payload type json using payload::text::json`.execute(db);
  await setPayloadLz4(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inbound_events alter column payload type jsonb using payload::jsonb`.execute(db);
}
