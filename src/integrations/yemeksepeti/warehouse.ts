import type { Order } from '../../db/schema.js';
import type { Trx } from '../../orders/locks.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { findWarehouseForStores, type ResolvedStore } from '../../orders/warehouses.js';
import type { WorkerContext } from '../types.js';
import { ACTOR } from './attributes.js';
import { storeIdsOf, YS_SOURCE, type YsCategory } from './mapping.js';
import type { YsOrder } from './schema.js';

export type WarehouseDecision =
  | { ok: true; code: string; category: YsCategory; storeId: string }
  | { ok: false; reason: string };

export async function resolveWarehouse(
  ctx: WorkerContext,
  order: YsOrder,
  category: YsCategory | undefined,
): Promise<WarehouseDecision> {
  const storeIds = storeIdsOf(order);
  if (storeIds.length === 0) return decideWarehouse(storeIds, undefined, category);
  return decideWarehouse(storeIds, await findWarehouseForStores(ctx.db, YS_SOURCE, storeIds), category);
}

/** Whether the order's store maps to a warehouse it may use (`resolved` = the store lookup's answer). */
export function decideWarehouse(
  storeIds: readonly string[],
  resolved: ResolvedStore | undefined,
  category: YsCategory | undefined,
): WarehouseDecision {
  if (storeIds.length === 0) return { ok: false, reason: 'the order names no store (client.store_id)' };
  // Location checks are disabled for Yemeksepeti: the mapped warehouse is used as is.
  if (!resolved) {
    return { ok: false, reason: `no warehouse is mapped to Yemeksepeti store ${storeIds.join(' / ')}` };
  }
  const { warehouse } = resolved;
  if (warehouse.category !== 'market' && warehouse.category !== 'su') {
    return {
      ok: false,
      reason: `warehouse ${warehouse.code} has category ${warehouse.category}, not market or su`,
    };
  }
  if (category !== undefined && warehouse.category !== category) {
    return {
      ok: false,
      reason: `store ${resolved.externalStoreId} maps to ${warehouse.category} warehouse ${warehouse.code}, but the order came with the ${category} token`,
    };
  }
  return { ok: true, code: warehouse.code, category: warehouse.category, storeId: resolved.externalStoreId };
}

/** An order's warehouse never changes: a later body naming another store is noted, not applied. */
export async function noteStoreChange(
  ctx: WorkerContext,
  trx: Trx,
  order: Order,
  ys: YsOrder,
): Promise<void> {
  const storeIds = storeIdsOf(ys);
  if (!order.warehouse_code || storeIds.length === 0) return;
  const resolved = await findWarehouseForStores(trx, YS_SOURCE, storeIds);
  if (resolved && resolved.warehouse.code !== order.warehouse_code) {
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'note_added',
      actor: ACTOR,
      message: `Yemeksepeti store ${resolved.externalStoreId} now maps to warehouse ${resolved.warehouse.code}; the order stays in ${order.warehouse_code}`,
    });
    ctx.logger.info({ orderId: order.id }, 'store maps to another warehouse; order warehouse kept');
  }
}
