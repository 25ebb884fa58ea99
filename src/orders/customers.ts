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
  const details = { phone: input.phone ?? null, email: input.email ?? null, name: input.name ?? null };
  if (input.externalId) {
    const row = await trx
      .insertInto('customers')
      .values({ channel, external_id: input.externalId, ...details, updated_at: sql`now()` })
      .onConflict((oc) =>
        oc.columns(['channel', 'external_id']).where('external_id', 'is not', null).doUpdateSet({
          phone: sql`coalesce(excluded.phone, customers.phone)`,
          email: sql`coalesce(excluded.email, customers.email)`,
          name: sql`coalesce(excluded.name, customers.name)`,
          updated_at: sql`now()`,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  if (input.phone) {
    const row = await trx
      .insertInto('customers')
      .values({ channel, external_id: null, ...details, updated_at: sql`now()` })
      .onConflict((oc) =>
        oc
          .columns(['channel', 'phone'])
          .where(sql<boolean>`external_id is null and phone is not null`)
          .doUpdateSet({
            email: sql`coalesce(excluded.email, customers.email)`,
            name: sql`coalesce(excluded.name, customers.name)`,
            updated_at: sql`now()`,
          }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  return undefined;
}
