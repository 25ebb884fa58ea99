import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { type Coalescer, createCoalescer } from '../lib/coalesce.js';

/** ORD-YYYYMMDD-NNNNN from the UTC day. */
export function formatOrderNumber(day: string, sequence: number): string {
  return `ORD-${day.replaceAll('-', '')}-${sequence.toString().padStart(5, '0')}`;
}

/** Takes `count` numbers of `day` in one upsert on the day's counter row; returns the last one. */
async function takeNumbers(db: Executor, day: string, count: number): Promise<number> {
  const row = await db
    .insertInto('order_number_sequences')
    .values({ day, last_value: count })
    .onConflict((oc) =>
      oc.column('day').doUpdateSet({ last_value: sql<number>`order_number_sequences.last_value + ${count}` }),
    )
    .returning('last_value')
    .executeTakeFirstOrThrow();
  return row.last_value;
}

/**
 * Every caller on one pool shares the counter row: concurrent allocations are coalesced into one upsert that
 * takes as many numbers as there are callers (the row is otherwise updated, and its lock held through a WAL
 * flush, once per order: with 16 concurrent orders that serialised them at ~1.5 ms each).
 */
const allocators = new WeakMap<object, Coalescer<string, number>>();

function allocatorFor(db: Executor): Coalescer<string, number> {
  let allocator = allocators.get(db);
  if (!allocator) {
    allocator = createCoalescer<string, number>(
      async (days) => {
        const sequences: number[] = new Array(days.length);
        for (const day of new Set(days)) {
          const positions = days.flatMap((d, i) => (d === day ? [i] : []));
          const last = await takeNumbers(db, day, positions.length);
          positions.forEach((position, n) => {
            sequences[position] = last - positions.length + 1 + n;
          });
        }
        return sequences;
      },
      { maxBatch: 256, maxInFlight: 1 },
    );
    allocators.set(db, allocator);
  }
  return allocator;
}

/**
 * Allocates the next order number of the day. One upsert on the day's counter row: the row lock makes it
 * unique across connections and processes. Run it outside the order transaction (its own autocommit
 * statement) so the counter row is locked for one statement, not for a whole order creation; a number
 * whose transaction then rolls back is a gap, as with any database sequence.
 */
export async function allocateOrderNumber(db: Executor, now: Date = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const sequence = db.isTransaction ? await takeNumbers(db, day, 1) : await allocatorFor(db).submit(day);
  return formatOrderNumber(day, sequence);
}
