import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { AppError } from '../lib/errors.js';
import { addTimelineEvent } from './timeline.js';

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
  // By SKU: shortages are listed, and reservation rows written, in a fixed order.
  return [...bySku.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/** Available (on hand − reserved) per `warehouse\u0000sku`, in one statement. */
async function availableStock(
  db: Executor,
  pairs: readonly { warehouseCode: string; sku: string }[],
): Promise<Map<string, number>> {
  if (pairs.length === 0) return new Map();
  const rows = await sql<{ warehouse_code: string; sku: string; on_hand: number; reserved: number }>`
    select warehouse_code, sku, on_hand, reserved from stock_levels
    where (warehouse_code, sku) in (
      select * from unnest(${pairs.map((p) => p.warehouseCode)}::text[], ${pairs.map((p) => p.sku)}::text[]))`.execute(
    db,
  );
  return new Map(rows.rows.map((r) => [stockKey(r.warehouse_code, r.sku), r.on_hand - r.reserved]));
}

function stockKey(warehouseCode: string, sku: string): string {
  return `${warehouseCode}\u0000${sku}`;
}

/** What each line lacks in the warehouse right now (without locking). */
export async function findShortages(
  db: Executor,
  warehouseCode: string,
  lines: readonly StockLine[],
): Promise<Shortage[]> {
  const [shortages] = await findShortagesMany(db, [{ warehouseCode, lines }]);
  return shortages ?? [];
}

/** `findShortages` for several orders (each judged alone against today's stock) in one statement. */
export async function findShortagesMany(
  db: Executor,
  requests: readonly { warehouseCode: string; lines: readonly StockLine[] }[],
): Promise<Shortage[][]> {
  const available = await availableStock(
    db,
    requests.flatMap((r) => aggregate(r.lines).map((l) => ({ warehouseCode: r.warehouseCode, sku: l.sku }))),
  );
  return shortagesIn(requests, available);
}

/** What is available right now of these SKUs in every warehouse mapped to one of these channel stores. */
export async function availableAtStores(
  db: Executor,
  channel: string,
  storeIds: readonly string[],
  skus: readonly string[],
): Promise<AvailableStock> {
  if (storeIds.length === 0 || skus.length === 0) return new Map();
  const rows = await sql<{ warehouse_code: string; sku: string; available: number }>`
    select s.warehouse_code, s.sku, s.on_hand - s.reserved as available
    from stock_levels s
    join warehouse_external_stores w on w.warehouse_code = s.warehouse_code
    where w.channel = ${channel} and w.external_store_id = any(${[...new Set(storeIds)]}::text[])
      and s.sku = any(${[...new Set(skus)]}::text[])`.execute(db);
  return new Map(rows.rows.map((r) => [stockKey(r.warehouse_code, r.sku), r.available]));
}

/** Available stock by warehouse and SKU, as `availableAtStores` read it. */
export type AvailableStock = ReadonlyMap<string, number>;

/** What each order's lines lack against `available` (a SKU it does not list has none). */
export function shortagesIn(
  requests: readonly { warehouseCode: string; lines: readonly StockLine[] }[],
  available: AvailableStock,
): Shortage[][] {
  return requests.map((r) =>
    aggregate(r.lines)
      .map((l) => ({
        sku: l.sku,
        requested: l.quantity,
        available: Math.max(0, available.get(stockKey(r.warehouseCode, l.sku)) ?? 0),
      }))
      .filter((s) => s.available < s.requested),
  );
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
  await reserveStockMany(trx, [{ orderId, warehouseCode, lines }]);
}

/** What `stockReservationCtes` reserves: the rows it locks and the reservations it writes. */
export interface StockReservationPlan {
  /** Per stock row, the batch's total, sorted by warehouse and SKU (the statement locks them in that order). */
  wanted: { warehouseCode: string; sku: string; quantity: number }[];
  /** Per order and SKU, its reservation. */
  rows: { orderId: string; warehouseCode: string; sku: string; quantity: number }[];
}

export function planReservations(
  reservations: readonly { orderId: string; warehouseCode: string; lines: readonly StockLine[] }[],
): StockReservationPlan {
  const totals = new Map<string, { warehouseCode: string; sku: string; quantity: number }>();
  const rows: StockReservationPlan['rows'] = [];
  for (const r of reservations) {
    for (const l of aggregate(r.lines)) {
      rows.push({ orderId: r.orderId, warehouseCode: r.warehouseCode, ...l });
      const key = stockKey(r.warehouseCode, l.sku);
      const total = totals.get(key) ?? { warehouseCode: r.warehouseCode, sku: l.sku, quantity: 0 };
      total.quantity += l.quantity;
      totals.set(key, total);
    }
  }
  const wanted = [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, total]) => total);
  return { wanted, rows };
}

/**
 * The reservation as common table expressions, for a statement that may also write the orders it is for:
 * every stock row is locked (in warehouse, SKU order, so concurrent reservations never deadlock) and checked
 * against the batch's total; `stock_shortages(sku, requested, available)` lists what is short, and only when
 * nothing is are the rows updated and the reservations written. The caller fails the transaction on a
 * shortage (which rolls back whatever else the statement wrote).
 */
export function stockReservationCtes(
  plan: StockReservationPlan,
  options: { after?: 'customers_upserted' } = {},
) {
  // `after` names a CTE of the same statement whose row locks must all be taken before the first stock row's
  // (its count is a one-time filter, evaluated before the scan): every statement then locks in the same
  // order, customers before stock, whatever plan the rest of the statement gets.
  const after = options.after ? sql`and (select count(*) from ${sql.ref(options.after)}) >= 0` : sql``;
  return sql`stock_wanted as (
      select * from jsonb_to_recordset(${JSON.stringify(plan.wanted)}::jsonb)
        as w("warehouseCode" text, sku text, quantity integer)
    ), stock_locked as (
      select s.warehouse_code, s.sku, s.on_hand - s.reserved as available from stock_levels s
      where (s.warehouse_code, s.sku) in (select "warehouseCode", sku from stock_wanted) ${after}
      order by s.warehouse_code, s.sku
      for update
    ), stock_shortages as (
      select w.sku, w.quantity as requested, greatest(0, coalesce(l.available, 0)) as available
      from stock_wanted w left join stock_locked l on l.warehouse_code = w."warehouseCode" and l.sku = w.sku
      where coalesce(l.available, 0) < w.quantity
    ), stock_reserved as (
      update stock_levels as s set reserved = s.reserved + w.quantity, updated_at = now()
      from stock_wanted w
      where s.warehouse_code = w."warehouseCode" and s.sku = w.sku
        and not exists (select from stock_shortages)
    ), stock_reservations_written as (
      insert into stock_reservations (order_id, warehouse_code, sku, quantity)
      select * from jsonb_to_recordset(${JSON.stringify(plan.rows)}::jsonb)
        as r("orderId" uuid, "warehouseCode" text, sku text, quantity integer)
      where not exists (select from stock_shortages)
    )`;
}

/**
 * `reserveStock` for several orders at once, all or nothing, in one statement: when the orders together want
 * more than a row has, nothing is reserved and a StockShortageError lists the shortages.
 */
export async function reserveStockMany(
  trx: Executor,
  reservations: readonly { orderId: string; warehouseCode: string; lines: readonly StockLine[] }[],
): Promise<void> {
  const plan = planReservations(reservations);
  if (plan.wanted.length === 0) return;
  const { rows } = await sql<Shortage>`
    with ${stockReservationCtes(plan)} select * from stock_shortages order by sku`.execute(trx);
  if (rows.length > 0) throw new StockShortageError(rows);
}

/**
 * Returns an order's open reservations to the available pool (cancel, reject), or only those of `skus` (lines
 * taken out of the order). Idempotent.
 */
export async function releaseStock(
  trx: Executor,
  orderId: string,
  skus?: readonly string[],
): Promise<number> {
  return settleReservations(trx, orderId, 'released', skus);
}

/** Consumes an order's open reservations (the goods left the warehouse). Idempotent. */
export async function commitStock(trx: Executor, orderId: string): Promise<number> {
  return settleReservations(trx, orderId, 'committed');
}

export interface CommitOrderStockInput {
  orderId: string;
  actor: string;
  /** Why the goods left, appended to the timeline entry. */
  why?: string;
}

/**
 * Consumes the order's open stock reservations (the goods left the warehouse) and says so on the timeline.
 * Idempotent: nothing is left to commit the second time. Returns the lines committed.
 */
export async function commitOrderStock(trx: Executor, input: CommitOrderStockInput): Promise<number> {
  const committed = await commitStock(trx, input.orderId);
  if (committed > 0) {
    await addTimelineEvent(trx, {
      orderId: input.orderId,
      type: 'stock_committed',
      actor: input.actor,
      message: `committed ${committed} reserved line(s)${input.why ? `: ${input.why}` : ''}`,
    });
  }
  return committed;
}

async function settleReservations(
  trx: Executor,
  orderId: string,
  to: 'released' | 'committed',
  skus?: readonly string[],
): Promise<number> {
  if (skus?.length === 0) return 0;
  const open = await trx
    .selectFrom('stock_reservations')
    .select(['warehouse_code', 'sku', 'quantity'])
    .where('order_id', '=', orderId)
    .where('status', '=', 'reserved')
    .$if(skus !== undefined, (q) => q.where('sku', 'in', skus ?? []))
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
      .$if(skus !== undefined, (q) => q.where('sku', 'in', skus ?? []))
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

/**
 * Puts an order's committed stock back on hand (a cancelled order whose goods come back to the warehouse).
 * Idempotent: a restored reservation is `released` and is not restored again. Returns the lines restored.
 */
export async function restoreCommittedStock(trx: Executor, orderId: string): Promise<number> {
  const committed = await trx
    .selectFrom('stock_reservations')
    .select(['warehouse_code', 'sku', 'quantity'])
    .where('order_id', '=', orderId)
    .where('status', '=', 'committed')
    .orderBy('sku')
    .forUpdate()
    .execute();
  for (const r of committed) {
    await trx
      .updateTable('stock_levels')
      .set({ on_hand: sql<number>`on_hand + ${r.quantity}`, updated_at: sql`now()` })
      .where('warehouse_code', '=', r.warehouse_code)
      .where('sku', '=', r.sku)
      .execute();
  }
  if (committed.length > 0) {
    await trx
      .updateTable('stock_reservations')
      .set({ status: 'released', updated_at: sql`now()` })
      .where('order_id', '=', orderId)
      .where('status', '=', 'committed')
      .execute();
  }
  return committed.length;
}
