import type { InboundEvent } from '../../db/schema.js';
import type { Settled } from '../../lib/coalesce.js';
import { findOrdersByExternalIds } from '../../orders/locks.js';
import { allocateOrderNumber } from '../../orders/order-number.js';
import { availableAtStores, shortagesIn } from '../../orders/stock.js';
import { findWarehousesForStores } from '../../orders/warehouses.js';
import { createTogether } from '../kit/batch.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { type CreatePlan, createdOutcome, createRequest } from './create.js';
import { handleYemeksepetiEvent } from './handle.js';
import {
  flowFor,
  linesToStock,
  storeIdsOf,
  toOrderItem,
  withCartStatus,
  YS_SOURCE,
  type YsCategory,
  YsItemError,
} from './mapping.js';
import { type YsOrder, ysEventMetaSchema, ysOrderSchema } from './schema.js';
import { decideWarehouse } from './warehouse.js';

/**
 * The worker's batch: new orders whose store is mapped and whose every line is in stock are created together
 * in one transaction (`createOrders`); every other event, and every creation the batch could not take (an
 * existing order, a shortage, an item error, the batch failing as a whole), runs through
 * `handleYemeksepetiEvent` afterwards, exactly as it would alone.
 */
export async function handleYemeksepetiEvents(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
): Promise<Settled<HandlerResult>[]> {
  const planned = await planBatchCreates(ctx, events);
  return createTogether(
    ctx,
    events,
    planned.map(({ index, plan }) => ({
      index,
      request: createRequest(plan),
      // An order that exists after all runs alone: the single path syncs it.
      outcome: (result) => (result.created ? createdOutcome(plan, result.order) : undefined),
    })),
    handleYemeksepetiEvent,
    // planBatchCreates looked the orders up just before.
    { existenceChecked: true },
  );
}

/** The batch's creations that need nothing but the clean path: one statement per lookup for all of them. */
async function planBatchCreates(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
): Promise<{ index: number; plan: CreatePlan }[]> {
  const candidates: { index: number; event: InboundEvent; ys: YsOrder; category: YsCategory | undefined }[] =
    [];
  const orderIds = new Set<string>();
  events.forEach((event, index) => {
    const parsed = ysOrderSchema.safeParse(event.payload);
    const meta = ysEventMetaSchema.safeParse(event.meta ?? {});
    if (!parsed.success || !meta.success || flowFor(parsed.data.status) !== 'create') return;
    // Two events of one order in a batch: the first may be created here, the second runs after it.
    if (orderIds.has(parsed.data.order_id)) return;
    orderIds.add(parsed.data.order_id);
    candidates.push({ index, event, ys: parsed.data, category: meta.data.category });
  });
  if (candidates.length < 2) return [];
  const withItems = candidates.flatMap((c) => {
    try {
      const items = withCartStatus((c.ys.items ?? []).map((item, line) => toOrderItem(item, line)));
      return [{ ...c, items }];
    } catch (err) {
      if (err instanceof YsItemError) return [];
      throw err;
    }
  });
  if (withItems.length < 2) return [];
  // Independent lookups side by side, each on its own connection (a batch's wall time is its round trips):
  // existing orders, the stores' warehouses, the stock of every SKU in those warehouses, and the order
  // numbers (one that is not used, for an order that exists or is short, is a gap as with any sequence).
  const [found, stores, available, orderNumbers] = await Promise.all([
    findOrdersByExternalIds(
      ctx.db,
      withItems.map((c) => ({ channel: YS_SOURCE, externalOrderId: c.ys.order_id })),
    ),
    findWarehousesForStores(
      ctx.db,
      YS_SOURCE,
      withItems.map((c) => storeIdsOf(c.ys)),
    ),
    availableAtStores(
      ctx.db,
      YS_SOURCE,
      withItems.flatMap((c) => storeIdsOf(c.ys)),
      withItems.flatMap((c) => c.items.map((i) => i.sku)),
    ),
    Promise.all(withItems.map(() => allocateOrderNumber(ctx.db))),
  ]);
  const existing = new Set(found.map((o) => o.external_order_id));
  const ready = withItems.flatMap((c, n) => {
    if (existing.has(c.ys.order_id)) return [];
    const warehouse = decideWarehouse(storeIdsOf(c.ys), stores[n], c.category);
    const orderNumber = orderNumbers[n];
    return warehouse.ok && orderNumber ? [{ ...c, warehouse, orderNumber }] : [];
  });
  const shortages = shortagesIn(
    ready.map((r) => ({ warehouseCode: r.warehouse.code, lines: linesToStock(r.items) })),
    available,
  );
  const planned = ready.flatMap((r, n) =>
    (shortages[n] ?? []).length > 0
      ? []
      : [
          {
            index: r.index,
            plan: {
              event: r.event,
              ys: r.ys,
              warehouse: r.warehouse,
              items: r.items,
              shortages: [],
              orderNumber: r.orderNumber,
            },
          },
        ],
  );
  return planned.length < 2 ? [] : planned;
}
