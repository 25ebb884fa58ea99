import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// The admin search finds an order by any of its external references, whatever the key. A jsonb_path_ops
// index over `external_refs` hashes each value with its key, so a search naming no key (`$.* ? (@ == q)`)
// extracted nothing from it: Postgres read every entry of the index and rechecked every order, or read the
// table. The index now holds the values alone (`jsonb_path_query_array(external_refs, '$.*')`), the search
// asks for an array containing q, and one lookup finds the order. It costs an insert what the old one did:
// one entry per reference.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists orders_external_refs`.execute(db);
  await sql`create index orders_external_refs on orders
    using gin ((jsonb_path_query_array(external_refs, '$.*')) jsonb_path_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists orders_external_refs`.execute(db);
  await sql`create index orders_external_refs on orders using gin (external_refs jsonb_path_ops)`.execute(db);
}
