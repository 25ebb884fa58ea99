import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// The admin search finds a customer by a part of their name in any case. `ilike` folds case with lower(),
// which takes I to i, never to the dotless ı that a Turkish name such as Işık writes in lower case: typed as
// "ışık" or "IŞIK" it was not found. The search now compares the name folded as lower() with ı read as i,
// through an index of that expression, which replaces the index of the raw name (no search reads it any more).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists customers_name_folded_trgm on customers
    using gin ((translate(lower(name), 'ı', 'i')) gin_trgm_ops)`.execute(db);
  await sql`drop index if exists customers_name_trgm`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists customers_name_trgm on customers using gin (name gin_trgm_ops)`.execute(
    db,
  );
  await sql`drop index if exists customers_name_folded_trgm`.execute(db);
}
