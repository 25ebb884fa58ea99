import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// OneBasket: the provider registry, baskets with their provider baskets and history, and the provider orders
// an order is split into, with their own history. Money is bigint minor units.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table onebasket_providers (
      id text primary key,
      name text not null,
      base_url text not null,
      callback_token_hash text not null,
      supports_callbacks boolean not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table onebasket_baskets (
      id text primary key,
      state text not null check (state in ('mutable', 'immutable', 'completed')),
      currency text not null,
      customer jsonb not null default '{}'::jsonb,
      content_at timestamptz,
      payment_intent_id text,
      payment_intent_amount bigint,
      payment_intent_state text check (payment_intent_state in ('locking', 'locked', 'refused', 'deleted')),
      order_id uuid references orders (id),
      completed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table onebasket_provider_baskets (
      basket_id text not null references onebasket_baskets (id) on delete cascade,
      provider_id text not null,
      items jsonb not null,
      lock_state text not null default 'none'
        check (lock_state in ('none', 'requested', 'locked', 'refused', 'released')),
      lock_payment_intent_id text,
      lock_reason text,
      lock_answered_at timestamptz,
      primary key (basket_id, provider_id)
    )`.execute(db);

  // Every basket event (applied or refused) and every lock call's answer, in order.
  await sql`
    create table onebasket_basket_history (
      id bigint generated always as identity primary key,
      basket_id text not null,
      inbox_event_id uuid,
      type text not null,
      applied boolean not null,
      note text,
      payment_intent_id text,
      provider_id text,
      occurred_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index onebasket_basket_history_basket on onebasket_basket_history (basket_id, id)`.execute(
    db,
  );
  await sql`create unique index onebasket_basket_history_inbox on onebasket_basket_history (inbox_event_id)
    where inbox_event_id is not null`.execute(db);

  await sql`
    create table provider_orders (
      id uuid primary key,
      order_id uuid not null references orders (id) on delete cascade,
      provider_id text not null,
      items jsonb not null,
      amount bigint not null check (amount >= 0),
      currency text not null,
      tracks_fulfilment boolean not null,
      processing_state text not null default 'sent' check (processing_state in ('sent', 'confirmed', 'rejected')),
      fulfilment_state text check (fulfilment_state in ('received', 'in_progress', 'ready', 'fulfilled')),
      external_ref text,
      reason text,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint provider_orders_order_provider unique (order_id, provider_id)
    )`.execute(db);
  // Reconciliation looks for provider orders still Sent long after their creation.
  await sql`create index provider_orders_sent on provider_orders (created_at) where processing_state = 'sent'`.execute(
    db,
  );

  await sql`
    create table provider_order_history (
      id bigint generated always as identity primary key,
      provider_order_id uuid not null references provider_orders (id) on delete cascade,
      source text not null,
      state text not null,
      applied boolean not null,
      note text,
      inbox_event_id uuid,
      occurred_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index provider_order_history_order on provider_order_history (provider_order_id, id)`.execute(
    db,
  );
  await sql`create unique index provider_order_history_inbox on provider_order_history (inbox_event_id)
    where inbox_event_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists provider_order_history`.execute(db);
  await sql`drop table if exists provider_orders`.execute(db);
  await sql`drop table if exists onebasket_basket_history`.execute(db);
  await sql`drop table if exists onebasket_provider_baskets`.execute(db);
  await sql`drop table if exists onebasket_baskets`.execute(db);
  await sql`drop table if exists onebasket_providers`.execute(db);
}
