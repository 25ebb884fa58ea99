import type { InboundEvent } from '../../db/schema.js';
import { type Settled, settle } from '../../lib/coalesce.js';
import { errorMessage } from '../../lib/errors.js';
import { type CreateOrderRequest, type CreateOrderResult, createOrders } from '../../orders/create.js';
import type { HandlerResult, WorkerContext } from '../types.js';

/** One creation a channel's batch planned: its event's place in the batch, the order, and its outcome. */
export interface PlannedCreation {
  index: number;
  request: CreateOrderRequest;
  /** The event's outcome from its creation's result; undefined sends the event down the single path. */
  outcome(result: CreateOrderResult): HandlerResult | undefined;
}

/**
 * A worker batch of one channel's events: the planned creations go in one transaction (`createOrders`), and
 * every event they did not settle (not planned, handed back by `outcome`, or the batch failing as a whole,
 * e.g. on a stock shortage anywhere) runs through `handleEvent` afterwards, exactly as it would alone.
 */
export async function createTogether(
  ctx: WorkerContext,
  events: readonly InboundEvent[],
  planned: readonly PlannedCreation[],
  handleEvent: (ctx: WorkerContext, event: InboundEvent) => Promise<HandlerResult>,
  options: { existenceChecked?: boolean } = {},
): Promise<Settled<HandlerResult>[]> {
  const results: (Settled<HandlerResult> | undefined)[] = events.map(() => undefined);
  if (planned.length > 1) {
    const created = await settle(
      createOrders(ctx.db, { requests: planned.map((p) => p.request), ...options }),
    );
    if (created.ok) {
      planned.forEach(({ index, outcome }, n) => {
        const result = created.value[n];
        const value = result ? outcome(result) : undefined;
        if (value) results[index] = { ok: true, value };
      });
    } else {
      ctx.logger.info(
        { err: errorMessage(created.error), orders: planned.length },
        'batch creation failed; creating the orders one by one',
      );
    }
  }
  await Promise.all(
    events.map(async (event, index) => {
      if (results[index]) return;
      const logger = ctx.logger.child({ eventId: event.id, externalOrderId: event.external_order_id });
      results[index] = await settle(handleEvent({ ...ctx, logger }, event));
    }),
  );
  return results.map((r) => r ?? { ok: false, error: new Error('event left unhandled') });
}
