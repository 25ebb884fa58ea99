import type { Transaction } from 'kysely';
import type { Db, Executor } from './index.js';
import type { Database } from './schema.js';

/** The work each open transaction (of `inTransaction`) runs once it has committed. */
const pending = new WeakMap<Executor, (() => void)[]>();

/**
 * Runs `fn` in a transaction; what the transaction registered with `afterCommit` runs once it has committed,
 * and is dropped if it rolls back.
 */
export async function inTransaction<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const committed: (() => void)[] = [];
  const result = await db.transaction().execute((trx) => {
    pending.set(trx, committed);
    return fn(trx);
  });
  for (const run of committed) run();
  return result;
}

/**
 * Runs `fn` once what `db` wrote is committed: at the commit of an `inTransaction` transaction (never, if it
 * rolls back), at once outside a transaction. A transaction opened otherwise has no commit to wait for here,
 * so `fn` runs at once.
 */
export function afterCommit(db: Executor, fn: () => void): void {
  const queue = db.isTransaction ? pending.get(db) : undefined;
  if (queue) queue.push(fn);
  else fn();
}
