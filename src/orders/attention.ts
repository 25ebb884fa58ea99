import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { RuleViolation } from '../lib/errors.js';
import { changeOrder } from './change.js';

export interface FlagAttentionInput {
  order: Order;
  /** What a person must look at; shown on the order and its timeline. */
  reason: string;
  actor: string;
}

/** Flags an order for an operator; the reason is on the order and its timeline. */
export async function flagAttention(trx: Executor, input: FlagAttentionInput): Promise<void> {
  await changeOrder(
    trx,
    input.order.id,
    { attention_reason: input.reason },
    { type: 'attention', actor: input.actor, message: input.reason },
  );
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
  return changeOrder(
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
