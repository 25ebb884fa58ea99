-- What the admin search's indexes (migration 2026_12_04_1610_order_text_search) cost an order insert, each on
-- its own and with other GIN storage options. One table per variant, shaped like the indexed columns of
-- `orders` and `customers` (order number, Yemeksepeti external references, customer name), filled
-- alternately in the server: 500 rounds of one 40-row insert each, as a worker batch writes them (20,000
-- orders, the e2e drain's backlog). Counted per order from EXPLAIN (ANALYZE, WAL, BUFFERS) of every insert,
-- then of the pending-list merge (`gin_clean_pending_list`, what a vacuum or a later insert does): WAL
-- records and bytes, buffers dirtied. Time is shown too, but it moves with the machine. Run on a scratch
-- database:
--   psql -d postgres -c 'create database idxbench' && psql -d idxbench -f bench/sql/search-index-cost.sql
--   psql -d postgres -c 'drop database idxbench'
\set ON_ERROR_STOP on
create extension if not exists pg_trgm;
create table variants (n int, name text, ddl text[]);
insert into variants values
  (1, 'none', '{}'),
  (2, 'order_number trgm', array['create index on %I using gin (order_number gin_trgm_ops)']),
  (3, 'name trgm', array['create index on %I using gin (name gin_trgm_ops)']),
  (4, 'refs jsonb_path_ops', array['create index on %I using gin (external_refs jsonb_path_ops)']),
  (5, 'refs jsonb_ops', array['create index on %I using gin (external_refs)']),
  (6, 'ref values path_ops',
    array['create index on %I using gin (jsonb_path_query_array(external_refs, ''$.*'') jsonb_path_ops)']),
  (7, 'all three (as migrated)', array['create index on %I using gin (order_number gin_trgm_ops)',
    'create index on %I using gin (external_refs jsonb_path_ops)', 'create index on %I using gin (name gin_trgm_ops)']),
  (8, 'all three, fastupdate off', array[
    'create index on %I using gin (order_number gin_trgm_ops) with (fastupdate = off)',
    'create index on %I using gin (external_refs jsonb_path_ops) with (fastupdate = off)',
    'create index on %I using gin (name gin_trgm_ops) with (fastupdate = off)']),
  (9, 'all three, 64 MB pending list', array[
    'create index on %I using gin (order_number gin_trgm_ops) with (gin_pending_list_limit = 65536)',
    'create index on %I using gin (external_refs jsonb_path_ops) with (gin_pending_list_limit = 65536)',
    'create index on %I using gin (name gin_trgm_ops) with (gin_pending_list_limit = 65536)']);

do $$
declare
  v record;
  d text;
begin
  for v in select * from variants loop
    execute format('create table %I (id bigint generated always as identity primary key, order_number text not null,
      external_refs jsonb not null, name text)', 'v' || v.n);
    foreach d in array v.ddl loop
      execute format(d, 'v' || v.n);
    end loop;
  end loop;
end $$;

create temp table tally (variant int, phase text, records bigint, bytes numeric, dirtied bigint, ms numeric);

create function measure(variant int, phase text, statement text) returns void language plpgsql as $$
declare
  plan json;
begin
  execute 'explain (analyze, wal, buffers, format json) ' || statement into plan;
  insert into tally values (variant, phase,
    coalesce((plan -> 0 -> 'Plan' ->> 'WAL Records')::bigint, 0),
    coalesce((plan -> 0 -> 'Plan' ->> 'WAL Bytes')::numeric, 0),
    coalesce((plan -> 0 -> 'Plan' ->> 'Shared Dirtied Blocks')::bigint, 0),
    (plan -> 0 ->> 'Execution Time')::numeric);
end $$;

do $$
declare
  -- Order numbers as allocated (ten thousand a day), a Yemeksepeti order's six references, a name.
  rows constant text := $q$ select 'ORD-' || to_char(date '2026-12-04' + (n / 10000), 'YYYYMMDD') || '-'
      || lpad((n %% 10000 + 1)::text, 5, '0'),
    jsonb_build_object('packageId', gen_random_uuid()::text, 'integrationOrderNumber', 'YS-' || (700000 + n),
      'orderCode', 'c' || n, 'chainId', 'bench-chain', 'vendorId', 'bench-vendor', 'storeId', 'bench-store-1'),
    'Ayşe Yılmaz ' || n
    from generate_series(%s, %s) n $q$;
  v int;
begin
  for r in 0..499 loop
    for v in select n from variants order by n loop
      perform measure(v, 'insert', format('insert into %I (order_number, external_refs, name) ', 'v' || v)
        || format(rows, r * 40, r * 40 + 39));
    end loop;
  end loop;
  for v in select n from variants where n > 1 order by n loop
    perform measure(v, 'merge', format(
      'select sum(gin_clean_pending_list(i.indexrelid)) from pg_index i join pg_class c on c.oid = i.indexrelid
         where i.indrelid = %L::regclass and c.relam = (select oid from pg_am where amname = ''gin'')', 'v' || v));
  end loop;
end $$;

select n, name,
  round(sum(records) / 20000.0, 2) as wal_records,
  round(sum(bytes) / 20000.0) as wal_bytes,
  round(sum(dirtied) / 20000.0, 3) as buffers_dirtied,
  round(sum(ms) filter (where phase = 'insert') * 1000 / 20000.0, 1) as insert_us,
  round(coalesce(sum(ms) filter (where phase = 'merge'), 0) * 1000 / 20000.0, 1) as merge_us,
  round(max(ms) filter (where phase = 'insert'), 1) as slowest_insert_ms
from tally join variants on n = variant group by n, name order by n;
