-- What the `outbox_order (order_id, id)` index (migration 2026_12_02_1800_outbox_admin) costs an outbox insert.
-- Two tables shaped like `outbox` with its partial indexes, one also with `outbox_order`, filled alternately in
-- the server (no client round trips): 6 rounds of 2,500 statements, each inserting the two messages of 20
-- orders, as a worker batch does. Run on a scratch database:
--   psql -d postgres -c 'create database idxbench' && psql -d idxbench -f bench/sql/outbox-order-index.sql
--   psql -d postgres -c 'drop database idxbench'
create table o1 (
  id bigint generated always as identity primary key,
  order_id uuid,
  topic text not null,
  payload jsonb not null,
  status text not null default 'pending',
  created_at timestamptz not null default now(),
  enqueued_at timestamptz,
  finished_at timestamptz,
  last_error text
);
create index o1_pending on o1 (id) where status = 'pending';
create index o1_enqueued on o1 (enqueued_at) where status = 'enqueued';
create index o1_dead on o1 (id) where status = 'dead';
create table o2 (like o1 including all);
create index o2_order on o2 (order_id, id);

do $$
declare
  t0 timestamptz;
  without_index interval := '0';
  with_index interval := '0';
  payload constant jsonb := '{"orderId":"x","channel":"yemeksepeti","externalOrderId":"abc-123","status":"received"}';
begin
  for r in 1..6 loop
    t0 := clock_timestamp();
    for i in 1..2500 loop
      insert into o1 (order_id, topic, payload)
      select u, t, payload from (select gen_random_uuid() u from generate_series(1, 20)) g,
        (values ('subscribers.order.created'), ('delivery.requested')) v(t);
    end loop;
    without_index := without_index + (clock_timestamp() - t0);
    t0 := clock_timestamp();
    for i in 1..2500 loop
      insert into o2 (order_id, topic, payload)
      select u, t, payload from (select gen_random_uuid() u from generate_series(1, 20)) g,
        (values ('subscribers.order.created'), ('delivery.requested')) v(t);
    end loop;
    with_index := with_index + (clock_timestamp() - t0);
  end loop;
  raise notice 'per outbox row: % µs without outbox_order, % µs with it (600,000 rows each)',
    round(extract(epoch from without_index) * 1e6 / 600000, 1), round(extract(epoch from with_index) * 1e6 / 600000, 1);
end $$;
