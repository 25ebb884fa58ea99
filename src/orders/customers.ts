import { sql } from 'kysely';

export interface CustomerInput {
  externalId?: string | null | undefined;
  phone?: string | null | undefined;
  email?: string | null | undefined;
  name?: string | null | undefined;
}

type CustomerKind = 'externalId' | 'phone';

interface CustomerRow {
  kind: CustomerKind;
  channel: string;
  /** The channel's customer id (kind externalId) or the phone (kind phone): what the row is found by. */
  key: string;
  external_id: string | null;
  phone: string | null;
  email: string | null;
  name: string | null;
}

/** Which upserted customer an order gets: `customers_upserted` is joined on (kind, channel, key). */
export interface CustomerRef {
  kind: CustomerKind;
  channel: string;
  key: string;
}

export interface CustomerUpserts {
  /** One row per distinct customer, in lock order (kind, then key). */
  rows: CustomerRow[];
  /** Each entry's customer, by position (undefined: the order has none). */
  refs: (CustomerRef | undefined)[];
}

/**
 * The customers of several orders, deduplicated: a customer named twice is written once, with the later
 * non-empty details winning as they would over two single upserts.
 */
export function planCustomers(
  entries: readonly ({ channel: string; customer: CustomerInput } | undefined)[],
): CustomerUpserts {
  const refs: (CustomerRef | undefined)[] = entries.map(() => undefined);
  const byKey = new Map<string, CustomerRow>();
  entries.forEach((entry, position) => {
    if (!entry) return;
    const { channel, customer } = entry;
    const kind: CustomerKind | undefined = customer.externalId
      ? 'externalId'
      : customer.phone
        ? 'phone'
        : undefined;
    const key = kind === 'externalId' ? customer.externalId : customer.phone;
    if (!kind || !key) return;
    refs[position] = { kind, channel, key };
    const id = `${kind}\u0000${channel}\u0000${key}`;
    const row: CustomerRow = {
      kind,
      channel,
      key,
      external_id: kind === 'externalId' ? key : null,
      phone: customer.phone ?? null,
      email: customer.email ?? null,
      name: customer.name ?? null,
    };
    const seen = byKey.get(id);
    byKey.set(
      id,
      seen
        ? {
            ...seen,
            phone: row.phone ?? seen.phone,
            email: row.email ?? seen.email,
            name: row.name ?? seen.name,
          }
        : row,
    );
  });
  // In a fixed order (by channel id before by phone, each by key), so two batches naming the same customers
  // lock their rows in the same order (no deadlock).
  const rows = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row);
  return { rows, refs };
}

/**
 * The upserts as common table expressions, for a statement that also writes the orders: they define
 * `customers_upserted(kind, channel, key, id)`, one row per customer (found again, or new). Known by the
 * channel's id: fills in missing details; known by phone only: the same for e-mail and name.
 */
export function customerUpsertCtes(plan: CustomerUpserts) {
  return sql`customer_input as (
      select * from rows from (jsonb_to_recordset(${JSON.stringify(plan.rows)}::jsonb) as (kind text,
        channel text, key text, external_id text, phone text, email text, name text))
        with ordinality as c(kind, channel, key, external_id, phone, email, name, n)
    ), customers_by_id as (
      insert into customers (channel, external_id, phone, email, name, updated_at)
      select channel, external_id, phone, email, name, now() from customer_input
      where kind = 'externalId' order by n
      on conflict (channel, external_id) where external_id is not null do update set
        phone = coalesce(excluded.phone, customers.phone), email = coalesce(excluded.email, customers.email),
        name = coalesce(excluded.name, customers.name), updated_at = now()
      returning 'externalId'::text as kind, channel, external_id as key, id
    ), customers_by_phone as (
      insert into customers (channel, external_id, phone, email, name, updated_at)
      select channel, null, phone, email, name, now() from customer_input
      where kind = 'phone' order by n
      on conflict (channel, phone) where external_id is null and phone is not null do update set
        email = coalesce(excluded.email, customers.email), name = coalesce(excluded.name, customers.name),
        updated_at = now()
      returning 'phone'::text as kind, channel, phone as key, id
    ), customers_upserted as (
      select * from customers_by_id union all select * from customers_by_phone
    )`;
}
