import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { RuleViolation } from '../lib/errors.js';
import { changeOrder } from './change.js';
import { causeKeys, openIntervention, resolveInterventionByCause } from './interventions.js';

export interface FlagAttentionInput {
  order: Order;
  /** What a person must look at; shown on the order and its timeline. */
  reason: string;
  actor: string;
}

/** Flags an order for an operator; the reason is on the order and its timeline. */
export async function flagAttention(trx: Executor, input: FlagAttentionInput): Promise<void> {
  const { order, reason } = input;
  await changeOrder(
    trx,
    order.id,
    { attention_reason: reason },
    { type: 'attention', actor: input.actor, message: reason },
  );
  // The order's entry in the interventions queue, in the same transaction as the flag.
  await openIntervention(trx, {
    source: 'order_attention',
    causeKey: causeKeys.orderAttention(order.id),
    summary: `order ${order.order_number} needs attention: ${reason}`,
    orderId: order.id,
    details: { attentionReason: reason, channel: order.channel },
    actions: ['review_order', 'contact_provider', 'resolve'],
  });
}

export interface ResolveAttentionInput {
  order: Order;
  actor: string;
  note: string;
}

/**
 * An operator's answer to an attention flag: the flag is cleared and the timeline keeps what it was and what
 * was done. An order that is not flagged is a rule refusal (409), so a second click changes nothing.
 */
export async function resolveAttention(trx: Executor, input: ResolveAttentionInput): Promise<Order> {
  const { order } = input;
  const reason = order.attention_reason;
  if (reason === null) {
    throw new RuleViolation('no_attention', 'order is not flagged for attention', { orderId: order.id });
  }
  const resolved = await changeOrder(
    trx,
    order.id,
    { attention_reason: null },
    {
      type: 'attention_resolved',
      actor: input.actor,
      message: `attention resolved: ${input.note} (was: ${reason})`,
      metadata: { reason, note: input.note },
    },
  );
  await resolveInterventionByCause(trx, causeKeys.orderAttention(order.id), {
    actor: input.actor,
    note: input.note,
  });
  return resolved;
}

/**
 * Flags an order by id with a reason whose timeline entry the caller has written already (e.g. a delivery
 * given up on, whose failure entry says why).
 */
export async function setAttentionReason(
  trx: Executor,
  input: { orderId: string; reason: string },
): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ attention_reason: input.reason, updated_at: sql`now()` })
    .where('id', '=', input.orderId)
    .execute();
}

/**
 * Clears the order's attention flag only while it still has `reason`: a flag raised since for another reason
 * stays. Returns whether it was cleared.
 */
export async function clearAttentionReason(
  trx: Executor,
  input: { orderId: string; reason: string },
): Promise<boolean> {
  const cleared = await trx
    .updateTable('orders')
    .set({ attention_reason: null, updated_at: sql`now()` })
    .where('id', '=', input.orderId)
    .where('attention_reason', '=', input.reason)
    .executeTakeFirst();
  return cleared.numUpdatedRows > 0n;
}
