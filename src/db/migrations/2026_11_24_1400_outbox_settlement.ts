import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// An outbox row now records how its delivery ended, so a job lost with Redis's data can be found (enqueued,
// never settled) and sent again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox drop constraint outbox_status_check`.execute(db);
  await sql`alter table outbox add constraint outbox_status_check
    check (status in ('pending', 'enqueued', 'delivered', 'dead'))`.execute(db);
  await sql`alter table outbox add column finished_at timestamptz`.execute(db);
  await sql`alter table outbox add column last_error text`.execute(db);
  await sql`create index outbox_enqueued on outbox (enqueued_at) where status = 'enqueued'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists outbox_enqueued`.execute(db);
  await sql`alter table outbox drop column if exists last_error`.execute(db);
  await sql`alter table outbox drop column if exists finished_at`.execute(db);
  await sql`alter table outbox drop constraint outbox_status_check`.execute(db);
  await sql`alter table outbox add constraint outbox_status_check check (status in ('pending', 'enqueued'))`.execute(
    db,
  );
}
