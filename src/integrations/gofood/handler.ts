/**
 * GoFood notifications → order commands, the acceptance deadline and the merchant's decisions. The rules
 * (lifecycle order, late events, terminal states, payment independence, provisional deadline rejection)
 * are described in docs/gofood.md.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { InboundEvent, Order } from '../../db/schema.js';
import { validate } from '../../http/input.js';
import { RuleViolation } from '../../lib/errors.js';
import { toMinorUnits } from '../../orders/money.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import {
  advanceOrder,
  type CreateOrderInput,
  channelStatusRecorded,
  commitOrderStock,
  createOrder,
  findOrderByExternalId,
  findOrderById,
  flagAttention,
  getOrderForUpdate,
  recordChannelStatus,
  setPaymentStatus,
  type Trx,
  transitionOrder,
  withOrderLock,
} from '../../orders/service.js';
import { fulfilmentRank, isOrderStatus, terminalStatuses } from '../../orders/status.js';
import { releaseStock, reserveStockAgain, StockShortageError } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { publishOrderCreated } from '../subscribers/index.js';
import type { HandlerResult, OrderAction, WorkerContext } from '../types.js';
import { rejectReasonCodes } from './client.js';
import {
  classifyEvent,
  type EventKind,
  GOFOOD_SOURCE,
  type GofoodAttributes,
  type GofoodNotification,
  gofoodAttributes,
  internalStatusFor,
  isLifecycleStep,
  type LifecycleStep,
  notificationSchema,
  orderFacts,
  stepAdvances,
  terminalSteps,
  UnusablePayloadError,
} from './mapping.js';
import { outletSettings } from './outlets.js';

const CHANNEL_ACTOR = 'channel:gofood';
const DEADLINE_ACTOR = 'gofood:deadline';
export const DEADLINE_JOB = 'gofood.acceptance-deadline';
export const REJECTION_FINAL_JOB = 'gofood.deadline-rejection-final';
export const TOPIC_ACCEPT = 'gofood.order.accept';
export const TOPIC_REJECT = 'gofood.order.reject';
export const TOPIC_FOOD_PREPARED = 'gofood.order.food_prepared';

function parseTimestamp(value: string | undefined): Date | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}

// ---------------------------------------------------------------------------------------------------------
// Inbound

export async function handleGofoodEvent(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const parsed = notificationSchema.safeParse(event.payload);
  if (!parsed.success) {
    return {
      status: 'attention',
      outcome: `unusable GoFood notification: ${parsed.error.issues[0]?.message}`,
    };
  }
  const notification = parsed.data;
  const kind = classifyEvent(notification.header.event_name);
  const orderNumber = notification.body.order?.order_number ?? event.external_order_id ?? undefined;
  if (kind.kind === 'unknown') {
    return { status: 'attention', outcome: `unknown GoFood event ${kind.name || '(no event_name)'}` };
  }
  if (!orderNumber) return { status: 'attention', outcome: 'GoFood notification without order_number' };

  let result: HandlerResult | undefined;
  const existing = await findOrderByExternalId(ctx.db, GOFOOD_SOURCE, orderNumber);
  if (!existing) {
    try {
      result = await createFromEvent(ctx, event, notification, kind, orderNumber);
    } catch (err) {
      if (err instanceof UnusablePayloadError) {
        return { status: 'attention', outcome: `cannot create GoFood order ${orderNumber}: ${err.message}` };
      }
      throw err;
    }
  }
  // An existing order, or one created concurrently by another event (createOrder returned it).
  result ??= await withOrderLock(ctx.db, GOFOOD_SOURCE, orderNumber, async (trx) => {
    const order = await findOrderByExternalId(trx, GOFOOD_SOURCE, orderNumber, true);
    if (!order) throw new Error(`GoFood order ${orderNumber} vanished`);
    return applyEvent(trx, order, event, notification, kind);
  });
  if (kind.kind === 'step' && kind.step === 'awaiting_merchant_acceptance' && result.orderId) {
    // Also on a re-run: scheduling is idempotent (job id per order), and a crash between the commit and the
    // schedule must not leave the order without its deadline.
    await ensureDeadline(ctx, result.orderId, event.received_at);
  }
  return result;
}

async function createFromEvent(
  ctx: WorkerContext,
  event: InboundEvent,
  notification: GofoodNotification,
  kind: Exclude<EventKind, { kind: 'unknown' }>,
  orderNumber: string,
): Promise<HandlerResult | undefined> {
  const facts = orderFacts(notification, toMinorUnits);
  const outlet = await outletSettings(ctx.db, facts.attributes.outletId);
  const step = kind.kind === 'step' ? kind.step : null;
  const status = step ? internalStatusFor[step] : 'pending';
  const reserve = outlet.warehouseCode !== null && status !== 'cancelled';
  const occurredAt = parseTimestamp(notification.header.timestamp);
  const input = (reserveLines: boolean): CreateOrderInput => ({
    channel: GOFOOD_SOURCE,
    externalOrderId: orderNumber,
    status,
    channelStatus: step,
    paymentStatus: 'pending',
    currency: facts.currency,
    customer: facts.customer,
    items: facts.items.map((item) => ({ ...item, reserve: reserveLines })),
    totals: {
      subtotal: facts.subtotal,
      shipping: facts.takeawayCharges,
      discount: Math.max(0, facts.subtotal + facts.takeawayCharges - facts.total),
      total: facts.total,
    },
    warehouseCode: outlet.warehouseCode,
    externalRefs: facts.externalRefs,
    attributes: { gofood: { ...facts.attributes, acceptanceMode: outlet.acceptanceMode } },
    actor: CHANNEL_ACTOR,
    eventId: event.id,
    occurredAt,
  });
  const afterCreate =
    (shortage: string | undefined) =>
    async (trx: Trx, order: Order): Promise<void> => {
      if (status === 'delivered' && reserve && !shortage) await commit(trx, order);
      if (kind.kind === 'payment_settled') await settlePayment(trx, order, event);
      if (shortage) await flagAttention(trx, order, shortage, CHANNEL_ACTOR);
      // An order that is cancelled before we ever saw it is not handed to subscribers.
      if (status !== 'cancelled') await publishOrderCreated(trx, order);
    };
  let created: Awaited<ReturnType<typeof createOrder>>;
  try {
    created = await createOrder(ctx.db, input(reserve), afterCreate(undefined));
  } catch (err) {
    if (!(err instanceof StockShortageError)) throw err;
    // GoFood already sold it: the order exists whatever our stock says; a person decides what to do.
    const reason = `insufficient stock in ${outlet.warehouseCode}: ${err.shortages.map((s) => `${s.sku} (${s.available}/${s.requested})`).join(', ')}; nothing reserved`;
    created = await createOrder(ctx.db, input(false), afterCreate(reason));
  }
  if (!created.created) return undefined;
  const order = created.order;
  return {
    status: 'processed',
    orderId: order.id,
    outcome: `created ${order.order_number} as ${status}${step ? ` (${step})` : ''}${kind.kind === 'payment_settled' ? ', paid' : ''}`,
  };
}

async function applyEvent(
  trx: Trx,
  order: Order,
  event: InboundEvent,
  notification: GofoodNotification,
  kind: Exclude<EventKind, { kind: 'unknown' }>,
): Promise<HandlerResult> {
  const done = (outcome: string): HandlerResult => ({ status: 'processed', orderId: order.id, outcome });
  if (kind.kind === 'payment_settled') {
    if (['paid', 'partially_refunded', 'refunded'].includes(order.payment_status)) {
      return done(`payment already ${order.payment_status}`);
    }
    await settlePayment(trx, order, event);
    return done('payment settled');
  }
  const step = kind.step;
  // A job that ran to its commit but not to marking the inbox row: the step is on record already.
  if (await channelStatusRecorded(trx, order.id, event.id)) return done(`${step} already recorded`);
  const occurredAt = parseTimestamp(notification.header.timestamp);
  const current = isLifecycleStep(order.channel_status) ? order.channel_status : null;

  if (!stepAdvances(current, step)) {
    const terminal = current !== null && terminalSteps.has(current);
    const note = terminal
      ? `GoFood already reported ${current}, which is final`
      : `late: GoFood already reported ${current}`;
    await recordChannelStatus(trx, order, step, { applied: false, note, eventId: event.id, occurredAt });
    if (terminal && terminalSteps.has(step) && step !== current) {
      await flagAttention(
        trx,
        order,
        `GoFood reported ${step} after ${current}; the order stays ${order.status}`,
        CHANNEL_ACTOR,
      );
    }
    return done(`${step} recorded, not applied (${terminal ? 'after a final step' : 'late'})`);
  }

  const rejection = gofoodAttributes(order.attributes).deadlineRejection;
  if (
    rejection &&
    step !== 'cancelled' &&
    isOrderStatus(order.status) &&
    terminalStatuses.has(order.status)
  ) {
    // Too late to overrule: our rejection is final (the grace period ran out, or an operator ended the order).
    // Re-reserving stock and moving on is no longer ours to decide; a person reconciles it with GoFood.
    const ours = rejection.finalizedAt
      ? `our rejection at the acceptance deadline, made final at ${rejection.finalizedAt} because GoFood never confirmed it`
      : 'our rejection at the acceptance deadline';
    await recordChannelStatus(trx, order, step, {
      applied: false,
      note: `contradicts ${ours}; the order is ${order.status}`,
      eventId: event.id,
      occurredAt,
    });
    await flagAttention(
      trx,
      order,
      `GoFood reports ${step}, contradicting ${ours}; the order stays ${order.status}: an operator must settle it with GoFood`,
      CHANNEL_ACTOR,
    );
    return done(`${step} recorded, not applied (contradicts our final deadline rejection)`);
  }

  await recordChannelStatus(trx, order, step, { applied: true, eventId: event.id, occurredAt });
  let updated = await getOrderForUpdate(trx, order.id);
  const attrs = gofoodAttributes(updated.attributes);
  if (attrs.deadlineRejection && step !== 'cancelled') {
    updated = await overruleDeadlineRejection(trx, updated, step, attrs);
  }

  const target = internalStatusFor[step];
  const from = updated.status;
  if (!isOrderStatus(from) || from === target) return done(`${step} applied; status stays ${from}`);
  if (terminalStatuses.has(from)) {
    await flagAttention(trx, updated, `GoFood reports ${step} but the order is ${from} here`, CHANNEL_ACTOR);
    return done(`${step} applied to the channel status; order is ${from}`);
  }
  const reason = `GoFood: ${step}`;
  const metadata = { eventId: event.id, channelStatus: step };
  if (target === 'cancelled') {
    const detail = notification.body.order?.cancellation_detail;
    await transitionOrder(trx, updated, 'cancelled', {
      actor: CHANNEL_ACTOR,
      reason: attrs.deadlineRejection
        ? `GoFood: cancelled (confirms our rejection at the acceptance deadline)`
        : reason,
      metadata: { ...metadata, cancellationDetail: detail ?? null },
    });
    return done(`cancelled (was ${from})`);
  }
  if (fulfilmentRank[target] <= fulfilmentRank[from]) {
    return done(`${step} applied; status stays ${from}`);
  }
  updated = await advanceOrder(trx, updated, target, { actor: CHANNEL_ACTOR, reason, metadata });
  if (target === 'delivered') await commit(trx, updated);
  return done(`${from} → ${target} (${step})`);
}

async function settlePayment(trx: Trx, order: Order, event: InboundEvent): Promise<void> {
  await setPaymentStatus(trx, order, 'paid', {
    actor: CHANNEL_ACTOR,
    reason: 'GoFood settled the payment (gofood.order.placed)',
    metadata: { eventId: event.id },
  });
}

async function commit(trx: Trx, order: Order): Promise<void> {
  await commitOrderStock(trx, order.id, CHANNEL_ACTOR, 'GoFood completed the order');
}

async function writeGofoodAttributes(
  trx: Trx,
  order: Order,
  patch: Partial<GofoodAttributes>,
  remove: (keyof GofoodAttributes)[] = [],
): Promise<Order> {
  const next: Record<string, unknown> = { ...gofoodAttributes(order.attributes), ...patch };
  for (const key of remove) delete next[key];
  return trx
    .updateTable('orders')
    .set({ attributes: { ...order.attributes, gofood: next }, updated_at: sql`now()` })
    .where('id', '=', order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * GoFood progressed an order we provisionally rejected at the manual-mode deadline: GoFood wins. The
 * rejection is cleared (it stays on the timeline), the stock is reserved again, and the status moves on.
 */
async function overruleDeadlineRejection(
  trx: Trx,
  order: Order,
  step: LifecycleStep,
  attrs: Partial<GofoodAttributes>,
): Promise<Order> {
  const updated = await writeGofoodAttributes(trx, order, {}, ['deadlineRejection']);
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'gofood_decision_overruled',
    actor: CHANNEL_ACTOR,
    message: `GoFood reports ${step} after our rejection at the acceptance deadline (${attrs.deadlineRejection?.at}); GoFood wins`,
    metadata: { step, rejection: attrs.deadlineRejection ?? null },
  });
  if (updated.warehouse_code) {
    const items = await trx
      .selectFrom('order_items')
      .select(['sku', 'quantity', 'status'])
      .where('order_id', '=', order.id)
      .execute();
    const lines = items
      .filter((i) => i.status === 'active')
      .map((i) => ({ sku: i.sku, quantity: i.quantity }));
    try {
      await reserveStockAgain(trx, order.id, updated.warehouse_code, lines);
      await addTimelineEvent(trx, {
        orderId: order.id,
        type: 'stock_reserved',
        actor: CHANNEL_ACTOR,
        message: `reserved ${lines.length} line(s) again in warehouse ${updated.warehouse_code}`,
      });
    } catch (err) {
      if (!(err instanceof StockShortageError)) throw err;
      await flagAttention(
        trx,
        updated,
        `GoFood overruled our deadline rejection but the stock is gone: ${err.message}`,
        CHANNEL_ACTOR,
      );
    }
  }
  return getOrderForUpdate(trx, order.id);
}

// ---------------------------------------------------------------------------------------------------------
// Acceptance deadline

export const deadlineJobSchema = z.object({ orderId: z.uuid() });

export function deadlineJobId(orderId: string): string {
  return `gofood-deadline-${orderId}`;
}

/**
 * Schedules the order's acceptance deadline once (job id per order) when its outlet has an acceptance
 * window. The clock starts when we received the awaiting event, so our guess runs no earlier than GoFood's
 * own decision.
 */
export async function ensureDeadline(ctx: WorkerContext, orderId: string, receivedAt: Date): Promise<void> {
  const order = await findOrderById(ctx.db, orderId);
  if (order?.status !== 'pending') return;
  const attrs = gofoodAttributes(order.attributes);
  const outlet = await outletSettings(ctx.db, attrs.outletId ?? null);
  if (outlet.acceptanceMode === 'auto') return;
  const timeout =
    outlet.acceptanceMode === 'manual'
      ? ctx.config.GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS
      : ctx.config.GOFOOD_AUTO_ACCEPT_TIMEOUT_MS;
  const delay = Math.max(0, receivedAt.getTime() + timeout - Date.now());
  await ctx.queues.maintenance.add(
    DEADLINE_JOB,
    { orderId, mode: outlet.acceptanceMode, timeoutMs: timeout },
    { delay, jobId: deadlineJobId(orderId) },
  );
}

const deadlineDataSchema = deadlineJobSchema.extend({
  mode: z.enum(['auto_accept_on_timeout', 'manual']),
  timeoutMs: z.number().int().positive(),
});

function describeTimeout(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/**
 * At the deadline, an order neither accepted nor cancelled is decided the way GoFood decides it:
 * `auto_accept_on_timeout` → confirmed; `manual` → a provisional rejection (stock released, status stays
 * pending until GoFood's `cancelled`; a later GoFood step overrules it; without either, the finalization job
 * cancels it after the grace period). See docs/gofood.md.
 */
export async function runDeadline(ctx: WorkerContext, data: Record<string, unknown>): Promise<string> {
  const { orderId, mode, timeoutMs } = deadlineDataSchema.parse(data);
  const found = await findOrderById(ctx.db, orderId);
  if (!found) return 'order not found';
  const outcome = await decideAtDeadline(ctx, found, mode, timeoutMs);
  // Also when this run found the rejection already made: a crash between the commit and the schedule must
  // not leave the rejection provisional forever. Scheduling is idempotent (job id per order).
  if (mode === 'manual') await ensureRejectionFinal(ctx, orderId);
  return outcome;
}

function decideAtDeadline(
  ctx: WorkerContext,
  found: Order,
  mode: z.infer<typeof deadlineDataSchema>['mode'],
  timeoutMs: number,
): Promise<string> {
  const orderId = found.id;
  return withOrderLock(ctx.db, found.channel, found.external_order_id, async (trx) => {
    const order = await getOrderForUpdate(trx, orderId);
    const attrs = gofoodAttributes(order.attributes);
    if (order.status !== 'pending' || attrs.deadlineRejection) {
      return `nothing to do: order is ${order.status}${attrs.deadlineRejection ? ' (rejected)' : ''}`;
    }
    if (order.channel_status !== 'awaiting_merchant_acceptance') {
      return `nothing to do: GoFood status is ${order.channel_status}`;
    }
    const window = describeTimeout(timeoutMs);
    const metadata = { mode, timeoutMs };
    if (mode === 'auto_accept_on_timeout') {
      await transitionOrder(trx, order, 'confirmed', {
        actor: DEADLINE_ACTOR,
        reason: `auto-accepted at deadline: not accepted or rejected within ${window} (auto_accept_on_timeout)`,
        metadata,
      });
      return 'auto-accepted';
    }
    const reason = `rejected: not accepted within ${window}`;
    const at = new Date().toISOString();
    await writeGofoodAttributes(trx, order, { deadlineRejection: { at, reason } });
    await addTimelineEvent(trx, {
      orderId,
      type: 'gofood_deadline_rejected',
      actor: DEADLINE_ACTOR,
      message: `${reason} (manual acceptance); provisional until GoFood reports the cancellation`,
      metadata,
    });
    const released = await releaseStock(trx, orderId);
    if (released > 0) {
      await addTimelineEvent(trx, {
        orderId,
        type: 'stock_released',
        actor: DEADLINE_ACTOR,
        message: `released ${released} reserved line(s): rejected at the acceptance deadline`,
      });
    }
    return 'rejected (provisional)';
  });
}

export function rejectionFinalJobId(orderId: string): string {
  return `gofood-rejection-final-${orderId}`;
}

const rejectionFinalDataSchema = deadlineJobSchema.extend({ graceMs: z.number().int().positive() });

/** Schedules, once per order, the end of a pending provisional rejection's grace period. */
async function ensureRejectionFinal(ctx: WorkerContext, orderId: string): Promise<void> {
  const order = await findOrderById(ctx.db, orderId);
  const rejection = order && gofoodAttributes(order.attributes).deadlineRejection;
  if (order?.status !== 'pending' || !rejection) return;
  const graceMs = ctx.config.GOFOOD_REJECTION_GRACE_MS;
  const rejectedAt = parseTimestamp(rejection.at)?.getTime() ?? Date.now();
  await ctx.queues.maintenance.add(
    REJECTION_FINAL_JOB,
    { orderId, graceMs },
    { delay: Math.max(0, rejectedAt + graceMs - Date.now()), jobId: rejectionFinalJobId(orderId) },
  );
}

/**
 * The grace period of a provisional deadline rejection ran out. Still `pending` with the rejection on
 * record → GoFood never confirmed nor overruled it: cancel the order here, so it does not wait forever.
 * Anything else (GoFood cancelled it, or moved it on) → nothing to do. A GoFood step after this is recorded
 * unapplied and flags the order (applyEvent).
 */
export async function runRejectionFinal(ctx: WorkerContext, data: Record<string, unknown>): Promise<string> {
  const { orderId, graceMs } = rejectionFinalDataSchema.parse(data);
  const found = await findOrderById(ctx.db, orderId);
  if (!found) return 'order not found';
  return withOrderLock(ctx.db, found.channel, found.external_order_id, async (trx) => {
    const order = await getOrderForUpdate(trx, orderId);
    const rejection = gofoodAttributes(order.attributes).deadlineRejection;
    if (order.status !== 'pending') return `nothing to do: order is ${order.status}`;
    if (!rejection) return 'nothing to do: no provisional rejection';
    const finalizedAt = new Date().toISOString();
    const updated = await writeGofoodAttributes(trx, order, {
      deadlineRejection: { ...rejection, finalizedAt },
    });
    // The stock went back at the deadline; the core's release finds nothing left to release.
    await transitionOrder(trx, updated, 'cancelled', {
      actor: DEADLINE_ACTOR,
      reason: `cancelled: our provisional rejection at the acceptance deadline (${rejection.reason}, at ${rejection.at}) was never confirmed by GoFood within ${describeTimeout(graceMs)}`,
      metadata: { rejection, graceMs, channelStatus: order.channel_status },
    });
    return 'cancelled (rejection final)';
  });
}

// ---------------------------------------------------------------------------------------------------------
// Merchant decisions

export const rejectBody = z.object({
  reasonCode: z.enum(rejectReasonCodes),
  description: z.string().trim().min(3).max(500),
});
export type RejectBody = z.infer<typeof rejectBody>;

export const outboundPayloadSchema = z.object({
  outletId: z.string().min(1),
  fulfilment: z.enum(['delivery', 'pickup']),
  orderNumber: z.string().min(1),
});

function orderRef(order: Order): z.infer<typeof outboundPayloadSchema> {
  const attrs = gofoodAttributes(order.attributes);
  if (!attrs.outletId) {
    throw new RuleViolation(
      'gofood_outlet_unknown',
      'the GoFood order has no outlet id; GoBiz cannot be told',
    );
  }
  return {
    outletId: attrs.outletId,
    fulfilment: attrs.fulfilment ?? 'delivery',
    orderNumber: order.external_order_id,
  };
}

function requireAwaiting(order: Order, action: string): void {
  const attrs = gofoodAttributes(order.attributes);
  if (order.status !== 'pending' || attrs.deadlineRejection) {
    const state = attrs.deadlineRejection ? 'rejected at the acceptance deadline' : order.status;
    throw new RuleViolation(
      'not_awaiting_acceptance',
      `cannot ${action}: the order is no longer awaiting acceptance (${state})`,
      { status: order.status, channelStatus: order.channel_status },
    );
  }
}

export const gofoodOrderActions: Record<'accept' | 'reject' | 'ready', OrderAction> = {
  accept: async (trx, order, _body, { actor }) => {
    requireAwaiting(order, 'accept');
    const ref = orderRef(order);
    const updated = await transitionOrder(trx, order, 'confirmed', {
      actor,
      reason: 'accepted by the merchant',
    });
    await enqueueOutbox(trx, { orderId: order.id, topic: TOPIC_ACCEPT, payload: ref });
    return updated;
  },
  reject: async (trx, order, body, { actor }) => {
    const input = validate(rejectBody, body);
    requireAwaiting(order, 'reject');
    const ref = orderRef(order);
    const updated = await transitionOrder(trx, order, 'cancelled', {
      actor,
      reason: `rejected by the merchant: ${input.reasonCode} (${input.description})`,
      metadata: { reasonCode: input.reasonCode },
    });
    await enqueueOutbox(trx, {
      orderId: order.id,
      topic: TOPIC_REJECT,
      payload: { ...ref, reasonCode: input.reasonCode, description: input.description },
    });
    return updated;
  },
  ready: async (trx, order, _body, { actor, config }) => {
    const attrs = gofoodAttributes(order.attributes);
    if (order.status !== 'confirmed' && order.status !== 'processing') {
      throw new RuleViolation(
        'not_preparing',
        `cannot mark the food prepared: the order is ${order.status} (it must be confirmed or processing)`,
      );
    }
    if (attrs.foodPreparedAt) {
      throw new RuleViolation(
        'food_already_prepared',
        `the food was marked prepared at ${attrs.foodPreparedAt}`,
      );
    }
    const ref = orderRef(order);
    let updated = order;
    if (order.status === 'confirmed') {
      updated = await transitionOrder(trx, order, 'processing', { actor, reason: 'food prepared' });
    } else {
      await addTimelineEvent(trx, { orderId: order.id, type: 'note_added', actor, message: 'food prepared' });
    }
    updated = await writeGofoodAttributes(trx, updated, { foodPreparedAt: new Date().toISOString() });
    await enqueueOutbox(trx, {
      orderId: order.id,
      topic: TOPIC_FOOD_PREPARED,
      payload: { ...ref, countryCode: config.GOFOOD_COUNTRY_CODE },
    });
    return updated;
  },
};
