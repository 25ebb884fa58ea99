import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reconciliation_runs (
      id uuid primary key default gen_random_uuid(),
      trigger text not null check (trigger in ('schedule', 'manual')),
      status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
      window_start timestamptz not null,
      window_end timestamptz not null,
      report jsonb not null default '{}'::jsonb,
      error text,
      started_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`create index reconciliation_runs_started_at on reconciliation_runs (started_at desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists reconciliation_runs`.execute(db);
}
