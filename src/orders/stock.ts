import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { AppError } from '../lib/errors.js';

export interface StockLine {
  sku: string;
  quantity: number;
}

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

export class StockShortageError extends AppError {
  constructor(readonly shortages: Shortage[]) {
    super('conflict', `insufficient stock for ${shortages.map((s) => s.sku).join(', ')}`, {
      details: { shortages },
      retryable: false,
    });
    this.name = 'StockShortageError';
  }
}

function aggregate(lines: readonly StockLine[]): StockLine[] {
  const bySku = new Map<string, number>();
  for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
  // A fixed order of locks: two orders reserving the same SKUs never deadlock.
  return [...bySku.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/** What each line lacks in the warehouse right now (without locking). */
export async function findShortages(
  db: Executor,
  warehouseCode: string,
  lines: readonly StockLine[],
  lock = false,
): Promise<Shortage[]> {
  const wanted = aggregate(lines);
  if (wanted.length === 0) return [];
  let query = db
    .selectFrom('stock_levels')
    .select(['sku', 'on_hand', 'reserved'])
    .where('warehouse_code', '=', warehouseCode)
    .where(
      'sku',
      'in',
      wanted.map((l) => l.sku),
    )
    .orderBy('sku');
  if (lock) query = query.forUpdate();
  const rows = await query.execute();
  const available = new Map(rows.map((r) => [r.sku, r.on_hand - r.reserved]));
  return wanted
    .map((l) => ({ sku: l.sku, requested: l.quantity, available: Math.max(0, available.get(l.sku) ?? 0) }))
    .filter((s) => s.available < s.requested);
}

/**
 * Reserves every line for the order, all or nothing: the stock rows are locked first, and when any line is
 * short nothing is reserved and a StockShortageError lists the shortages.
 */
export async function reserveStock(
  trx: Executor,
  orderId: string,
  warehouseCode: string,
  lines: readonly StockLine[],
): Promise<void> {
  const wanted = aggregate(lines);
  const shortages = await findShortages(trx, warehouseCode, wanted, true);
  if (shortages.length > 0) throw new StockShortageError(shortages);
  if (wanted.length > 0) {
    // One statement for every line (the rows are already locked, in SKU order, by findShortages).
    await sql`
      update stock_levels as s
      set reserved = s.reserved + v.quantity, updated_at = now()
      from unnest(${wanted.map((l) => l.sku)}::text[], ${wanted.map((l) => l.quantity)}::int[]) as v(sku, quantity)
      where s.warehouse_code = ${warehouseCode} and s.sku = v.sku`.execute(trx);
  }
  if (wanted.length > 0) {
    await trx
      .insertInto('stock_reservations')
      .values(
        wanted.map((l) => ({
          order_id: orderId,
          warehouse_code: warehouseCode,
          sku: l.sku,
          quantity: l.quantity,
        })),
      )
      .execute();
  }
}

/** Returns an order's open reservations to the available pool (cancel, reject). Idempotent. */
export async function releaseStock(trx: Executor, orderId: string): Promise<number> {
  return settleReservations(trx, orderId, 'released');
}

/** Consumes an order's open reservations (the goods left the warehouse). Idempotent. */
export async function commitStock(trx: Executor, orderId: string): Promise<number> {
  return settleReservations(trx, orderId, 'committed');
}

async function settleReservations(
  trx: Executor,
  orderId: string,
  to: 'released' | 'committed',
): Promise<number> {
  const open = await trx
    .selectFrom('stock_reservations')
    .select(['warehouse_code', 'sku', 'quantity'])
    .where('order_id', '=', orderId)
    .where('status', '=', 'reserved')
    .orderBy('sku')
    .forUpdate()
    .execute();
  for (const r of open) {
    await trx
      .updateTable('stock_levels')
      .set(
        to === 'released'
          ? { reserved: sql<number>`reserved - ${r.quantity}`, updated_at: sql`now()` }
          : {
              reserved: sql<number>`reserved - ${r.quantity}`,
              on_hand: sql<number>`on_hand - ${r.quantity}`,
              updated_at: sql`now()`,
            },
      )
      .where('warehouse_code', '=', r.warehouse_code)
      .where('sku', '=', r.sku)
      .execute();
  }
  if (open.length > 0) {
    await trx
      .updateTable('stock_reservations')
      .set({ status: to, updated_at: sql`now()` })
      .where('order_id', '=', orderId)
      .where('status', '=', 'reserved')
      .execute();
  }
  return open.length;
}

/**
 * Reserves an order's lines again after its reservation was released (a provisional rejection that the
 * channel overruled). The released rows are history (the timeline keeps it) and make way for new ones;
 * all or nothing like reserveStock, throwing StockShortageError when the stock is gone meanwhile.
 */
export async function reserveStockAgain(
  trx: Executor,
  orderId: string,
  warehouseCode: string,
  lines: readonly StockLine[],
): Promise<void> {
  const open = await trx
    .selectFrom('stock_reservations')
    .select('sku')
    .where('order_id', '=', orderId)
    .where('status', '!=', 'released')
    .execute();
  if (open.length > 0) return;
  await trx
    .deleteFrom('stock_reservations')
    .where('order_id', '=', orderId)
    .where('status', '=', 'released')
    .execute();
  await reserveStock(trx, orderId, warehouseCode, lines);
}
