import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types. Change the schema with a new migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table inbound_events (
      id uuid primary key default gen_random_uuid(),
      source text not null,
      dedup_key text not null,
      event_type text not null,
      external_order_id text,
      payload jsonb not null,
      meta jsonb not null default '{}'::jsonb,
      status text not null default 'received'
        check (status in ('received', 'failed', 'processed', 'dead', 'attention')),
      attempts integer not null default 0,
      last_error text,
      outcome text,
      received_at timestamptz not null default now(),
      processed_at timestamptz,
      updated_at timestamptz not null default now(),
      constraint inbound_events_source_dedup_key unique (source, dedup_key)
    )`.execute(db);
  await sql`create index inbound_events_status_received_at on inbound_events (status, received_at)`.execute(
    db,
  );
  await sql`create index inbound_events_source_received_at on inbound_events (source, received_at desc)`.execute(
    db,
  );
  await sql`create index inbound_events_order on inbound_events (source, external_order_id)`.execute(db);

  await sql`
    create table customers (
      id uuid primary key default gen_random_uuid(),
      channel text not null,
      external_id text,
      phone text,
      email text,
      name text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index customers_channel_external_id on customers (channel, external_id)
    where external_id is not null`.execute(db);
  await sql`create unique index customers_channel_phone on customers (channel, phone)
    where external_id is null and phone is not null`.execute(db);

  await sql`
    create table warehouses (
      code text primary key,
      category text not null,
      name text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table stock_levels (
      warehouse_code text not null references warehouses (code),
      sku text not null,
      on_hand integer not null check (on_hand >= 0),
      reserved integer not null default 0 check (reserved >= 0),
      updated_at timestamptz not null default now(),
      primary key (warehouse_code, sku)
    )`.execute(db);

  await sql`
    create table order_number_sequences (
      day date primary key,
      last_value integer not null
    )`.execute(db);

  await sql`
    create table orders (
      id uuid primary key default gen_random_uuid(),
      order_number text not null unique,
      channel text not null,
      external_order_id text not null,
      status text not null
        check (status in ('pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded')),
      channel_status text,
      payment_status text not null default 'pending'
        check (payment_status in ('pending', 'authorized', 'paid', 'failed', 'partially_refunded', 'refunded')),
      currency text not null check (char_length(currency) = 3),
      subtotal bigint not null default 0,
      discount_total bigint not null default 0,
      shipping_total bigint not null default 0,
      tax_total bigint not null default 0,
      total bigint not null,
      refunded_total bigint not null default 0 check (refunded_total >= 0),
      customer_id uuid references customers (id),
      warehouse_code text references warehouses (code),
      external_refs jsonb not null default '{}'::jsonb,
      attributes jsonb not null default '{}'::jsonb,
      attention_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint orders_channel_external_order_id unique (channel, external_order_id)
    )`.execute(db);
  await sql`create index orders_created_at on orders (created_at desc, id)`.execute(db);
  await sql`create index orders_status_created_at on orders (status, created_at desc)`.execute(db);
  await sql`create index orders_channel_created_at on orders (channel, created_at desc)`.execute(db);
  await sql`create index orders_customer_created_at on orders (customer_id, created_at desc)`.execute(db);
  await sql`create index orders_total on orders (total)`.execute(db);
  await sql`create index orders_external_order_id on orders (external_order_id)`.execute(db);
  await sql`create index orders_order_number_prefix on orders (order_number text_pattern_ops)`.execute(db);

  await sql`
    create table order_items (
      id uuid primary key default gen_random_uuid(),
      order_id uuid not null references orders (id) on delete cascade,
      line_no integer not null,
      external_id text,
      sku text not null,
      name text not null,
      quantity integer not null check (quantity > 0),
      weight_grams integer check (weight_grams > 0),
      pricing_type text not null default 'unit' check (pricing_type in ('unit', 'kg')),
      unit_price bigint not null check (unit_price >= 0),
      total_price bigint not null check (total_price >= 0),
      tax_rate_bp integer,
      status text not null default 'active',
      metadata jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint order_items_order_line unique (order_id, line_no)
    )`.execute(db);

  await sql`
    create table stock_reservations (
      order_id uuid not null references orders (id) on delete cascade,
      warehouse_code text not null references warehouses (code),
      sku text not null,
      quantity integer not null check (quantity > 0),
      status text not null default 'reserved' check (status in ('reserved', 'committed', 'released')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (order_id, sku)
    )`.execute(db);

  await sql`
    create table order_events (
      id bigint generated always as identity primary key,
      order_id uuid not null references orders (id) on delete cascade,
      type text not null,
      from_status text,
      to_status text,
      actor text not null,
      message text not null,
      metadata jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index order_events_order on order_events (order_id, id)`.execute(db);

  await sql`
    create table order_channel_statuses (
      id bigint generated always as identity primary key,
      order_id uuid not null references orders (id) on delete cascade,
      channel_status text not null,
      applied boolean not null,
      note text,
      event_id uuid,
      occurred_at timestamptz,
      recorded_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index order_channel_statuses_order on order_channel_statuses (order_id, id)`.execute(db);

  await sql`
    create table outbox (
      id bigint generated always as identity primary key,
      order_id uuid references orders (id) on delete set null,
      topic text not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'enqueued')),
      created_at timestamptz not null default now(),
      enqueued_at timestamptz
    )`.execute(db);
  await sql`create index outbox_pending on outbox (id) where status = 'pending'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'outbox',
    'order_channel_statuses',
    'order_events',
    'stock_reservations',
    'order_items',
    'orders',
    'order_number_sequences',
    'stock_levels',
    'warehouses',
    'customers',
    'inbound_events',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
