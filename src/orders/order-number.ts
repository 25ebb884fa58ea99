import { sql } from 'kysely';
import type { Executor } from '../db/index.js';

/** ORD-YYYYMMDD-NNNNN from the UTC day. */
export function formatOrderNumber(day: string, sequence: number): string {
  return `ORD-${day.replaceAll('-', '')}-${sequence.toString().padStart(5, '0')}`;
}

/**
 * Allocates the next order number of the day. One upsert on the day's counter row: the row lock makes it
 * unique across connections and processes. Run it outside the order transaction (its own autocommit
 * statement) so the counter row is locked for one statement, not for a whole order creation; a number
 * whose transaction then rolls back is a gap, as with any database sequence.
 */
export async function allocateOrderNumber(db: Executor, now: Date = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const row = await db
    .insertInto('order_number_sequences')
    .values({ day, last_value: 1 })
    .onConflict((oc) =>
      oc.column('day').doUpdateSet({ last_value: sql<number>`order_number_sequences.last_value + 1` }),
    )
    .returning('last_value')
    .executeTakeFirstOrThrow();
  return formatOrderNumber(day, row.last_value);
}
