import { z } from 'zod';
import type { Order } from '../../db/schema.js';
import { findOrderById, getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import { releaseStock } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { transitionOrder } from '../../orders/transition.js';
import type { WorkerContext } from '../types.js';
import { DEADLINE_ACTOR, writeGofoodAttributes } from './attributes.js';
import { gofoodAttributes, parseTimestamp } from './mapping.js';
import { outletSettings } from './outlets.js';

export const DEADLINE_JOB = 'gofood.acceptance-deadline';
export const REJECTION_FINAL_JOB = 'gofood.deadline-rejection-final';

export const deadlineJobSchema = z.object({ orderId: z.uuid() });

export function deadlineJobId(orderId: string): string {
  return `gofood-deadline-${orderId}`;
}

/**
 * When the acceptance window began: when GoFood's awaiting state began (the notification's header timestamp),
 * but never later than when we received the notification. A missing or unreadable timestamp, or one ahead of
 * our receipt (GoFood's clock running ahead of ours), starts it at our receipt.
 */
export function windowStart(stateBeganAt: Date | null, receivedAt: Date): Date {
  return stateBeganAt !== null && stateBeganAt.getTime() < receivedAt.getTime() ? stateBeganAt : receivedAt;
}

/**
 * Schedules the order's acceptance deadline once (job id per order) when its outlet has an acceptance
 * window, at the window's start (`windowStart`) plus the outlet mode's timeout: a notification that reached
 * us late leaves only the rest of GoFood's window, and one older than the window is decided at once.
 */
export async function ensureDeadline(
  ctx: WorkerContext,
  orderId: string,
  window: { stateBeganAt: Date | null; receivedAt: Date },
): Promise<void> {
  const order = await findOrderById(ctx.db, orderId);
  if (order?.status !== 'pending') return;
  const attrs = gofoodAttributes(order.attributes);
  const outlet = await outletSettings(ctx.db, attrs.outletId ?? null);
  if (outlet.acceptanceMode === 'auto') return;
  const timeout =
    outlet.acceptanceMode === 'manual'
      ? ctx.config.GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS
      : ctx.config.GOFOOD_AUTO_ACCEPT_TIMEOUT_MS;
  const startedAt = windowStart(window.stateBeganAt, window.receivedAt);
  const deadlineAt = new Date(startedAt.getTime() + timeout);
  await ctx.queues.maintenance.add(
    DEADLINE_JOB,
    {
      orderId,
      mode: outlet.acceptanceMode,
      timeoutMs: timeout,
      windowStartedAt: startedAt.toISOString(),
      deadlineAt: deadlineAt.toISOString(),
    },
    { delay: Math.max(0, deadlineAt.getTime() - Date.now()), jobId: deadlineJobId(orderId) },
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
      await transitionOrder(trx, {
        order,
        to: 'confirmed',
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
    await transitionOrder(trx, {
      order: updated,
      to: 'cancelled',
      actor: DEADLINE_ACTOR,
      reason: `cancelled: our provisional rejection at the acceptance deadline (${rejection.reason}, at ${rejection.at}) was never confirmed by GoFood within ${describeTimeout(graceMs)}`,
      metadata: { rejection, graceMs, channelStatus: order.channel_status },
    });
    return 'cancelled (rejection final)';
  });
}
