import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// Reconciliation's shipment checks read `order_shipments`: a shipped or delivered order of a channel that
// records shipments without its row, and a delivered one whose row has no delivery date. Finding a missing row
// means comparing every shipped and delivered order with the shipments (0.35 s at 1,000,000 orders, most of
// them delivered), so the order row says whether its shipment row exists (`shipment_recorded`, kept by a
// trigger on order_shipments, whatever writes it), and a partial index per channel that records shipments
// holds its shipped and delivered orders without one: only what the check reports. (One index for every
// channel would hold every marketplace order ever delivered, and the planner, costing it by channel alone,
// prefers reading the channel's orders.) A channel that starts recording shipments adds its own index.
//
// Adding the column is a catalogue change (its default is a constant); the backfill rewrites one order row per
// shipment already recorded, and the index build holds a SHARE lock on orders until the migration commits.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table orders add column shipment_recorded boolean not null default false`.execute(db);
  await sql`update orders set shipment_recorded = true
    where id in (select order_id from order_shipments) and not shipment_recorded`.execute(db);
  await sql`
    create function order_shipments_recorded() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        update orders set shipment_recorded = false where id = old.order_id and shipment_recorded;
        return old;
      end if;
      update orders set shipment_recorded = true where id = new.order_id and not shipment_recorded;
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger order_shipments_recorded after insert or delete on order_shipments
    for each row execute function order_shipments_recorded()`.execute(db);

  // The old index of shipped orders without `attributes.shipment` held every marketplace order delivered.
  await sql`drop index if exists orders_shipment_missing`.execute(db);
  await sql`create index orders_storefront_shipment_missing on orders (created_at)
    where channel = 'storefront' and status in ('shipped', 'delivered') and not shipment_recorded`.execute(
    db,
  );
  // Without the three columns' combinations the planner expects half the channel's shipped orders in that
  // index and compares them with every shipment by a hash join instead of looking each one up.
  await sql`create statistics if not exists orders_shipment_recorded (mcv)
    on channel, status, shipment_recorded from orders`.execute(db);
  // Shipments still on their way: the delivered orders among them have no delivery date.
  await sql`create index order_shipments_undelivered on order_shipments (order_id)
    where delivered_at is null`.execute(db);
  // The entries that name an inbox event: an event whose handler opened one gets no dead-event entry of its own.
  await sql`create index interventions_open_event on interventions (event_id)
    where state = 'open' and event_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists interventions_open_event`.execute(db);
  await sql`drop index if exists order_shipments_undelivered`.execute(db);
  await sql`drop statistics if exists orders_shipment_recorded`.execute(db);
  await sql`drop index if exists orders_storefront_shipment_missing`.execute(db);
  await sql`create index if not exists orders_shipment_missing on orders (channel, created_at)
    where status in ('shipped', 'delivered')
      and (attributes->'shipment' is null
        or (status = 'delivered' and attributes->'shipment'->>'deliveredAt' is null))`.execute(db);
  await sql`drop trigger if exists order_shipments_recorded on order_shipments`.execute(db);
  await sql`drop function if exists order_shipments_recorded()`.execute(db);
  await sql`alter table orders drop column if exists shipment_recorded`.execute(db);
}
