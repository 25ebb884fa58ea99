import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types. Change the schema with a new migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table gofood_outlets (
      outlet_id text primary key,
      acceptance_mode text not null
        check (acceptance_mode in ('auto', 'auto_accept_on_timeout', 'manual')),
      warehouse_code text references warehouses (code),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists gofood_outlets`.execute(db);
}
