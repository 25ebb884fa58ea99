import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// One queue for everything that needs a person. An open entry is unique per cause (`cause_key`), so a cause
// seen again while its entry is open refreshes that entry instead of adding another; once resolved, the same
// cause opens a new entry.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table interventions (
      id uuid primary key default gen_random_uuid(),
      source text not null,
      cause_key text not null,
      state text not null default 'open' check (state in ('open', 'resolved')),
      order_id uuid references orders (id),
      event_id uuid,
      outbox_id bigint,
      summary text not null,
      details jsonb not null default '{}',
      actions jsonb not null default '[]',
      occurrences integer not null default 1,
      opened_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      resolved_at timestamptz,
      resolved_by text,
      resolution_note text
    )
  `.execute(db);
  await sql`create unique index interventions_open_cause on interventions (cause_key) where state = 'open'`.execute(
    db,
  );
  await sql`create index interventions_state_opened on interventions (state, opened_at desc, id)`.execute(db);
  await sql`create index interventions_order on interventions (order_id) where order_id is not null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists interventions`.execute(db);
}
