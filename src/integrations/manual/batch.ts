import type { InboundEvent } from '../../db/schema.js';
import type { Settled } from '../../lib/coalesce.js';
import { createTogether } from '../kit/batch.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { createdOutcome, createManualOrder, manualOrderInput } from './create.js';
import { type ManualOrder, manualOrderSchema } from './schema.js';

/**
 * The worker's batch: manual orders whose warehouse exists (or that name none) are created together in one
 * transaction (an order that exists comes back as it is). A stock shortage anywhere fails the batch, which
 * then creates nothing; every event the batch did not settle (a body that does not parse, an unknown
 * warehouse, the second event of one order, the batch failing) runs through `createManualOrder` afterwards,
 * exactly as it would alone, so each order stays all or nothing.
 */
export async function createManualOrders(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
): Promise<Settled<HandlerResult>[]> {
  const planned = await planBatch(ctx, events);
  return createTogether(
    ctx,
    events,
    planned.map(({ index, event, order }) => ({
      index,
      request: { input: manualOrderInput(event, order) },
      outcome: createdOutcome,
    })),
    createManualOrder,
  );
}

/** The batch's orders that take the plain path: one statement looks up every warehouse they name. */
async function planBatch(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
): Promise<{ index: number; event: InboundEvent; order: ManualOrder }[]> {
  const candidates: { index: number; event: InboundEvent; order: ManualOrder }[] = [];
  const externalIds = new Set<string>();
  events.forEach((event, index) => {
    const parsed = manualOrderSchema.safeParse(event.payload);
    // Two events of one order in a batch: the first may be created here, the second runs after it.
    if (!parsed.success || externalIds.has(parsed.data.externalOrderId)) return;
    externalIds.add(parsed.data.externalOrderId);
    candidates.push({ index, event, order: parsed.data });
  });
  if (candidates.length < 2) return [];
  const codes = [...new Set(candidates.flatMap(({ order }) => (order.warehouse ? [order.warehouse] : [])))];
  const known = new Set(
    codes.length === 0
      ? []
      : (await ctx.db.selectFrom('warehouses').select('code').where('code', 'in', codes).execute()).map(
          (w) => w.code,
        ),
  );
  const planned = candidates.filter(({ order }) => !order.warehouse || known.has(order.warehouse));
  return planned.length < 2 ? [] : planned;
}
