import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// Operations: acknowledged reconciliation findings, one reconciliation run at a time, and the indexes of the
// reconciliation checks that would otherwise read every order.
export async function up(db: Kysely<unknown>): Promise<void> {
  // An operator who looked at a reconciliation finding and found it in order acknowledges its entry; later
  // runs skip that finding. The index answers "is this finding acknowledged" per reported order.
  await sql`alter table interventions add column acknowledged boolean not null default false`.execute(db);
  await sql`create index interventions_acknowledged on interventions (cause_key) where acknowledged`.execute(
    db,
  );
  await sql`create index interventions_source_opened on interventions (source, opened_at desc, id)`.execute(
    db,
  );

  // One run at a time, across processes: at most one row may be `running`. A run left `running` by a process
  // that died is taken over (marked failed) by the next run once it is older than the run timeout.
  await sql`update reconciliation_runs set status = 'failed', error = 'abandoned: running when the one-run rule
    was introduced', finished_at = now() where status = 'running'`.execute(db);
  await sql`create unique index reconciliation_runs_one_running on reconciliation_runs ((true))
    where status = 'running'`.execute(db);
  await sql`alter table reconciliation_runs drop constraint if exists reconciliation_runs_trigger_check`.execute(
    db,
  );
  await sql`alter table reconciliation_runs add constraint reconciliation_runs_trigger_check
    check (trigger in ('schedule', 'manual', 'cli'))`.execute(db);

  // Money recorded against an order that does not add up: more refunded than paid, a full refund that is not
  // the total, a partial refund of nothing or of everything. Empty in a healthy shop.
  await sql`create index if not exists orders_payment_mismatch on orders (created_at)
    where refunded_total > total
      or (payment_status = 'refunded' and refunded_total <> total)
      or (payment_status = 'partially_refunded' and (refunded_total <= 0 or refunded_total >= total))`.execute(
    db,
  );
  // Shipped or delivered orders without their shipment record (attributes.shipment) or, once delivered,
  // without its delivery date. Only channels that record shipments are checked; the others' shipped and
  // delivered orders are in the index too (one entry each), so it is read by channel.
  await sql`create index if not exists orders_shipment_missing on orders (channel, created_at)
    where status in ('shipped', 'delivered')
      and (attributes->'shipment' is null
        or (status = 'delivered' and attributes->'shipment'->>'deliveredAt' is null))`.execute(db);
  // The orders-by-channel-and-status gauge (GET /admin/metrics) reads the finished orders' counts from these
  // planner statistics (kept by autovacuum's analyze) instead of counting every order at each scrape.
  await sql`create statistics if not exists orders_channel_status (mcv) on channel, status from orders`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop statistics if exists orders_channel_status`.execute(db);
  await sql`drop index if exists orders_shipment_missing`.execute(db);
  await sql`drop index if exists orders_payment_mismatch`.execute(db);
  await sql`alter table reconciliation_runs drop constraint if exists reconciliation_runs_trigger_check`.execute(
    db,
  );
  await sql`delete from reconciliation_runs where trigger = 'cli'`.execute(db);
  await sql`alter table reconciliation_runs add constraint reconciliation_runs_trigger_check
    check (trigger in ('schedule', 'manual'))`.execute(db);
  await sql`drop index if exists reconciliation_runs_one_running`.execute(db);
  await sql`drop index if exists interventions_source_opened`.execute(db);
  await sql`drop index if exists interventions_acknowledged`.execute(db);
  await sql`alter table interventions drop column if exists acknowledged`.execute(db);
}
