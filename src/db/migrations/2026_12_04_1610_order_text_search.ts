import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// The admin search's free-text `q`: a part of an order number or a customer's name (trigram indexes, so
// `ilike '%…%'` reads an index instead of every order), any external reference (a containment index over
// `external_refs`), a customer's email in any case or phone. pg_trgm is a trusted extension: the database
// owner may create it without superuser rights.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create index if not exists orders_order_number_trgm on orders using gin (order_number gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index if not exists orders_external_refs on orders using gin (external_refs jsonb_path_ops)`.execute(
    db,
  );
  await sql`create index if not exists customers_name_trgm on customers using gin (name gin_trgm_ops)`.execute(
    db,
  );
  await sql`create index if not exists customers_email_lower on customers (lower(email))`.execute(db);
  await sql`create index if not exists customers_phone on customers (phone)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists customers_phone`.execute(db);
  await sql`drop index if exists customers_email_lower`.execute(db);
  await sql`drop index if exists customers_name_trgm`.execute(db);
  await sql`drop index if exists orders_external_refs`.execute(db);
  await sql`drop index if exists orders_order_number_trgm`.execute(db);
}
