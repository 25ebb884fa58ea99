import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types. Change the schema with a new migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  // A channel's store (Yemeksepeti store_id / external_partner_config_id, ...) maps to exactly one warehouse.
  await sql`
    create table warehouse_external_stores (
      channel text not null,
      external_store_id text not null,
      warehouse_code text not null references warehouses (code),
      created_at timestamptz not null default now(),
      primary key (channel, external_store_id)
    )`.execute(db);
  await sql`create index warehouse_external_stores_warehouse on warehouse_external_stores (warehouse_code)`.execute(
    db,
  );

  // Yemeksepeti rule: the warehouse an order was created in never changes. Enforced in the
  // database so no code path (admin tooling, a later event, a hand-written update) can move it.
  await sql`
    create function orders_yemeksepeti_warehouse_fixed() returns trigger language plpgsql as $$
    begin
      if old.channel = 'yemeksepeti' and old.warehouse_code is not null
         and new.warehouse_code is distinct from old.warehouse_code then
        raise exception 'the warehouse of yemeksepeti order % cannot change', old.id
          using errcode = '23514', constraint = 'orders_warehouse_fixed';
      end if;
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger orders_yemeksepeti_warehouse_fixed before update of warehouse_code on orders
    for each row execute function orders_yemeksepeti_warehouse_fixed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists orders_yemeksepeti_warehouse_fixed on orders`.execute(db);
  await sql`drop function if exists orders_yemeksepeti_warehouse_fixed()`.execute(db);
  await sql`drop table if exists warehouse_external_stores`.execute(db);
}
