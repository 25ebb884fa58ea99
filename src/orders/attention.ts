import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { RuleViolation } from '../lib/errors.js';
import { changeOrder } from './change.js';
import {
  causeKeys,
  type OpenInterventionInput,
  openIntervention,
  resolveIntervention,
} from './interventions.js';

export interface FlagAttentionInput {
  order: Order;
  /** What a person must look at; shown on the order and its timeline. */
  reason: string;
  actor: string;
  /**
   * The flag's entry in the interventions queue when its cause is more specific than "the order needs
   * attention" (a payment that does not match): that entry is the only one the flag opens. Default: an
   * `order_attention` entry, one per order.
   */
  intervention?: Omit<OpenInterventionInput, 'orderId' | 'refresh'>;
}

/**
 * Flags an order for an operator; the reason is on the order and its timeline, and the flag has one entry in
 * the interventions queue, opened in the same transaction. The entry carries the reason
 * (`details.attentionReason`): resolving it clears the flag, and resolving the flag resolves it.
 */
export async function flagAttention(trx: Executor, input: FlagAttentionInput): Promise<void> {
  const { order, reason, intervention } = input;
  await changeOrder(
    trx,
    order.id,
    { attention_reason: reason },
    { type: 'attention', actor: input.actor, message: reason },
  );
  const flag = { attentionReason: reason, channel: order.channel };
  await openIntervention(
    trx,
    intervention
      ? { ...intervention, orderId: order.id, details: { ...intervention.details, ...flag } }
      : {
          source: 'order_attention',
          causeKey: causeKeys.orderAttention(order.id),
          summary: `order ${order.order_number} needs attention: ${reason}`,
          orderId: order.id,
          details: flag,
          actions: ['review_order', 'contact_provider', 'resolve'],
        },
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
  // The flag's entry: the order's own, or the one its cause opened with the flag's reason. A dead outbox
  // message's entry stays open: the message still has to be replayed or given up on.
  const entries = await trx
    .selectFrom('interventions')
    .select('id')
    .where('order_id', '=', order.id)
    .where('state', '=', 'open')
    .where((eb) =>
      eb.or([
        eb('cause_key', '=', causeKeys.orderAttention(order.id)),
        eb.and([eb('outbox_id', 'is', null), eb(sql<string>`details->>'attentionReason'`, '=', reason)]),
      ]),
    )
    .execute();
  for (const entry of entries) {
    await resolveIntervention(trx, { id: entry.id, actor: input.actor, note: input.note });
  }
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
