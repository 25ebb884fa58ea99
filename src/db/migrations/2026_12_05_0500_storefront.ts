import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// The storefront channel: its catalog and discount codes (configuration), the outcome of each checkout (read
// by the checkout's status URL), shipments, refunds and the Razorpay orders and payments behind its orders.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table storefront_products (
      sku text primary key,
      name text not null,
      price bigint not null check (price >= 0),
      gst_rate_bp integer not null check (gst_rate_bp between 0 and 10000),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`
    create table storefront_discounts (
      code text primary key,
      kind text not null check (kind in ('percent', 'fixed')),
      value bigint not null check (value > 0),
      min_subtotal bigint,
      active boolean not null,
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  // One row per checkout once the worker has decided it; the order id is the one the checkout answered with.
  await sql`
    create table storefront_checkouts (
      order_id uuid primary key,
      customer_id text not null,
      event_id uuid not null,
      status text not null check (status in ('created', 'failed')),
      reason text,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`
    create table order_shipments (
      order_id uuid primary key references orders (id),
      carrier text not null,
      tracking_number text not null,
      shipped_at timestamptz not null default now(),
      delivered_at timestamptz
    )
  `.execute(db);
  await sql`
    create table razorpay_orders (
      order_id uuid primary key references orders (id),
      razorpay_order_id text not null unique,
      amount bigint not null,
      currency text not null,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  // A payment is one row whatever events report it: the same payment twice changes nothing.
  await sql`
    create table razorpay_payments (
      payment_id text primary key,
      order_id uuid not null references orders (id),
      amount bigint not null,
      currency text not null,
      status text not null,
      error text,
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index razorpay_payments_order on razorpay_payments (order_id)`.execute(db);
  await sql`
    create table storefront_refunds (
      id uuid primary key default gen_random_uuid(),
      order_id uuid not null references orders (id),
      amount bigint not null check (amount > 0),
      reason text not null,
      status text not null check (status in ('requested', 'pending', 'processed')),
      payment_id text,
      razorpay_refund_id text unique,
      actor text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index storefront_refunds_order on storefront_refunds (order_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'storefront_refunds',
    'razorpay_payments',
    'razorpay_orders',
    'order_shipments',
    'storefront_checkouts',
    'storefront_discounts',
    'storefront_products',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
