import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Warehouse } from '../db/schema.js';

/** Warehouses, their channel store mappings and stock levels: the configuration every channel reads. */

export function findWarehouse(db: Executor, code: string): Promise<Warehouse | undefined> {
  return db.selectFrom('warehouses').selectAll().where('code', '=', code).executeTakeFirst();
}

export interface ResolvedStore {
  externalStoreId: string;
  warehouse: Warehouse;
}

/**
 * The warehouse mapped to the first of `storeIds` (in the order given) that has a mapping for `channel`.
 * Undefined when none has.
 */
export async function findWarehouseForStores(
  db: Executor,
  channel: string,
  storeIds: readonly string[],
): Promise<ResolvedStore | undefined> {
  const [resolved] = await findWarehousesForStores(db, channel, [storeIds]);
  return resolved;
}

/** `findWarehouseForStores` for several orders' store lists, in one statement. */
export async function findWarehousesForStores(
  db: Executor,
  channel: string,
  storeLists: readonly (readonly string[])[],
): Promise<(ResolvedStore | undefined)[]> {
  const lists = storeLists.map((ids) => ids.filter((id) => id !== ''));
  const all = [...new Set(lists.flat())];
  if (all.length === 0) return lists.map(() => undefined);
  const rows = await db
    .selectFrom('warehouse_external_stores as s')
    .innerJoin('warehouses as w', 'w.code', 's.warehouse_code')
    .select(['s.external_store_id', 'w.code', 'w.category', 'w.name', 'w.created_at', 'w.updated_at'])
    .where('s.channel', '=', channel)
    .where('s.external_store_id', 'in', all)
    .execute();
  const byStore = new Map(rows.map(({ external_store_id, ...warehouse }) => [external_store_id, warehouse]));
  return lists.map((ids) => {
    for (const id of ids) {
      const warehouse = byStore.get(id);
      if (warehouse) return { externalStoreId: id, warehouse };
    }
    return undefined;
  });
}

export async function upsertWarehouse(
  db: Executor,
  input: { code: string; category: string; name: string },
): Promise<Warehouse> {
  return db
    .insertInto('warehouses')
    .values({ ...input, updated_at: sql`now()` })
    .onConflict((oc) =>
      oc.column('code').doUpdateSet({ category: input.category, name: input.name, updated_at: sql`now()` }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listWarehouseStores(
  db: Executor,
  code: string,
): Promise<{ channel: string; external_store_id: string }[]> {
  return db
    .selectFrom('warehouse_external_stores')
    .select(['channel', 'external_store_id'])
    .where('warehouse_code', '=', code)
    .orderBy('channel')
    .orderBy('external_store_id')
    .execute();
}

/** Store ids of `channel` that are mapped to a warehouse other than `code`. */
export async function storesMappedElsewhere(
  db: Executor,
  channel: string,
  code: string,
  storeIds: readonly string[],
): Promise<{ externalStoreId: string; warehouseCode: string }[]> {
  if (storeIds.length === 0) return [];
  const rows = await db
    .selectFrom('warehouse_external_stores')
    .select(['external_store_id', 'warehouse_code'])
    .where('channel', '=', channel)
    .where('external_store_id', 'in', storeIds)
    .where('warehouse_code', '<>', code)
    .execute();
  return rows.map((r) => ({ externalStoreId: r.external_store_id, warehouseCode: r.warehouse_code }));
}

/** Makes `storeIds` exactly the channel's stores mapped to warehouse `code`. */
export async function replaceWarehouseStores(
  db: Executor,
  channel: string,
  code: string,
  storeIds: readonly string[],
): Promise<void> {
  let removal = db
    .deleteFrom('warehouse_external_stores')
    .where('channel', '=', channel)
    .where('warehouse_code', '=', code);
  if (storeIds.length > 0) removal = removal.where('external_store_id', 'not in', storeIds);
  await removal.execute();
  if (storeIds.length === 0) return;
  await db
    .insertInto('warehouse_external_stores')
    .values(storeIds.map((id) => ({ channel, external_store_id: id, warehouse_code: code })))
    .onConflict((oc) => oc.columns(['channel', 'external_store_id']).doNothing())
    .execute();
}

/** Sets absolute on-hand quantities (units, or grams for weight-priced SKUs). Reservations are kept. */
export async function setStockLevels(
  db: Executor,
  code: string,
  items: readonly { sku: string; onHand: number }[],
): Promise<void> {
  if (items.length === 0) return;
  await db
    .insertInto('stock_levels')
    .values(
      items.map((i) => ({ warehouse_code: code, sku: i.sku, on_hand: i.onHand, updated_at: sql`now()` })),
    )
    .onConflict((oc) =>
      oc.columns(['warehouse_code', 'sku']).doUpdateSet({
        on_hand: sql`excluded.on_hand`,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

export function listStockLevels(
  db: Executor,
  code: string,
): Promise<{ sku: string; on_hand: number; reserved: number }[]> {
  return db
    .selectFrom('stock_levels')
    .select(['sku', 'on_hand', 'reserved'])
    .where('warehouse_code', '=', code)
    .orderBy('sku')
    .execute();
}
