import { sql } from 'kysely';
import type { Executor } from '../db/index.js';

export interface CustomerInput {
  externalId?: string | null | undefined;
  phone?: string | null | undefined;
  email?: string | null | undefined;
  name?: string | null | undefined;
}

/**
 * Finds or creates the channel's customer: by the channel's customer id, else by phone. Returns undefined
 * when the channel gave neither (the order then has no customer).
 */
export async function upsertCustomer(
  trx: Executor,
  channel: string,
  input: CustomerInput,
): Promise<string | undefined> {
  const [id] = await upsertCustomers(trx, [{ channel, customer: input }]);
  return id;
}

type CustomerKind = 'externalId' | 'phone';

interface CustomerRow {
  channel: string;
  external_id: string | null;
  phone: string | null;
  email: string | null;
  name: string | null;
}

/**
 * `upsertCustomer` for several orders: at most two statements (customers known by the channel's id, and
 * those known by phone only). A customer named twice is written once, with the later non-empty details
 * winning as they would over two single upserts.
 */
export async function upsertCustomers(
  trx: Executor,
  entries: readonly ({ channel: string; customer: CustomerInput } | undefined)[],
): Promise<(string | undefined)[]> {
  const ids: (string | undefined)[] = entries.map(() => undefined);
  const groups: Record<CustomerKind, Map<string, { row: CustomerRow; positions: number[] }>> = {
    externalId: new Map(),
    phone: new Map(),
  };
  entries.forEach((entry, position) => {
    if (!entry) return;
    const { channel, customer } = entry;
    const kind: CustomerKind | undefined = customer.externalId
      ? 'externalId'
      : customer.phone
        ? 'phone'
        : undefined;
    if (!kind) return;
    const key = `${channel}\u0000${kind === 'externalId' ? customer.externalId : customer.phone}`;
    const row: CustomerRow = {
      channel,
      external_id: customer.externalId || null,
      phone: customer.phone ?? null,
      email: customer.email ?? null,
      name: customer.name ?? null,
    };
    const seen = groups[kind].get(key);
    if (!seen) {
      groups[kind].set(key, { row, positions: [position] });
      return;
    }
    seen.positions.push(position);
    seen.row = {
      ...seen.row,
      phone: row.phone ?? seen.row.phone,
      email: row.email ?? seen.row.email,
      name: row.name ?? seen.row.name,
    };
  });
  for (const kind of ['externalId', 'phone'] as const) {
    // In key order, so two batches naming the same customers lock their rows in the same order (no deadlock).
    const group = [...groups[kind].entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, entry]) => entry);
    if (group.length === 0) continue;
    const returned = await trx
      .insertInto('customers')
      .values(group.map(({ row }) => ({ ...row, updated_at: sql<Date>`now()` })))
      .onConflict((oc) =>
        kind === 'externalId'
          ? oc.columns(['channel', 'external_id']).where('external_id', 'is not', null).doUpdateSet({
              phone: sql`coalesce(excluded.phone, customers.phone)`,
              email: sql`coalesce(excluded.email, customers.email)`,
              name: sql`coalesce(excluded.name, customers.name)`,
              updated_at: sql`now()`,
            })
          : oc
              .columns(['channel', 'phone'])
              .where(sql<boolean>`external_id is null and phone is not null`)
              .doUpdateSet({
                email: sql`coalesce(excluded.email, customers.email)`,
                name: sql`coalesce(excluded.name, customers.name)`,
                updated_at: sql`now()`,
              }),
      )
      .returning(['id', 'channel', 'external_id', 'phone'])
      .execute();
    const byKey = new Map(
      returned.map((r) => [`${r.channel}\u0000${kind === 'externalId' ? r.external_id : r.phone}`, r.id]),
    );
    for (const { row, positions } of group) {
      const id = byKey.get(`${row.channel}\u0000${kind === 'externalId' ? row.external_id : row.phone}`);
      for (const position of positions) ids[position] = id;
    }
  }
  return ids;
}
