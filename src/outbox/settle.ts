import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { OutboxRow, OutboxStatus } from '../db/schema.js';
import { clearAttentionReason, setAttentionReason } from '../orders/attention.js';
import { causeKeys, openIntervention } from '../orders/interventions.js';
import { addTimelineEvent } from '../orders/timeline.js';

/**
 * Records how an outbox message's delivery ended (by the outbound worker, or the sweeper from the job). With
 * `onlyIf`, only a row still in that status is settled: the sweeper judges rows it read a moment before, and a
 * replay may have reopened one since.
 */
export async function settleOutbox(
  db: Executor,
  outboxId: number,
  outcome: 'delivered' | 'dead',
  error?: string | null,
  onlyIf?: OutboxStatus,
): Promise<void> {
  let update = db
    .updateTable('outbox')
    .set({ status: outcome, finished_at: sql`now()`, last_error: error ?? null })
    .where('id', '=', outboxId);
  if (onlyIf) update = update.where('status', '=', onlyIf);
  await update.execute();
}

/**
 * A failed delivery attempt on the order's timeline; the final one also settles the row dead and flags the
 * order for attention with the reason (a person must look: the provider never got the message). Run it in a
 * transaction, so that no one sees the row dead without the flag.
 */
export async function recordOutboundFailure(
  db: Executor,
  failure: {
    outboxId: number;
    orderId: string | null;
    topic: string;
    attempt: number;
    final: boolean;
    /** The provider refused the call for good (a 4xx other than 408/429): a rule, not an outage. */
    refused?: boolean;
    error: string;
  },
): Promise<void> {
  const { outboxId, orderId, topic, attempt, final, error } = failure;
  if (final) {
    await settleOutbox(db, outboxId, 'dead', error);
    // One entry per message, whoever settles it: a person must replay it or settle it with the provider.
    await openIntervention(db, {
      source: failure.refused ? 'rule_refusal' : 'dead_outbox',
      causeKey: causeKeys.outbox(outboxId),
      summary: failure.refused
        ? `the provider refused ${topic}: ${error}`
        : `${topic} gave up after ${attempt} attempt(s): ${error}`,
      orderId,
      outboxId,
      details: { topic, attempt, error, ...(orderId ? { attentionReason: failedReason(topic, error) } : {}) },
      actions: ['replay', 'contact_provider', 'resolve'],
    });
  }
  if (!orderId) return;
  await addTimelineEvent(db, {
    orderId,
    type: 'provider_call',
    actor: 'worker',
    message: `${topic} failed (attempt ${attempt})${final ? ', giving up' : ', will retry'}: ${error}`,
    metadata: { topic, outboxId, attempt, outcome: final ? 'dead' : 'retrying' },
  });
  if (final) {
    await setAttentionReason(db, { orderId, reason: failedReason(topic, error) });
  }
}

/** A delivered outbox message and the `provider_call` timeline entry that says so. */
export interface DeliveredMessage {
  outboxId: number;
  orderId: string | null;
  message: string;
  metadata: Record<string, unknown>;
}

/**
 * Settles delivered messages and writes their timeline entries in one statement (a data-modifying CTE):
 * every outbound message ends here, so the worker coalesces the concurrent ones.
 */
export async function settleDelivered(db: Executor, delivered: readonly DeliveredMessage[]): Promise<void> {
  if (delivered.length === 0) return;
  const timeline = delivered.filter((d) => d.orderId !== null);
  await sql`
    with settled as (
      update outbox set status = 'delivered', finished_at = now(), last_error = null
      where id = any(${delivered.map((d) => d.outboxId)}::bigint[])
    )
    insert into order_events (order_id, type, actor, message, metadata)
    select v.order_id, 'provider_call', 'worker', v.message, v.metadata
    from unnest(
      ${timeline.map((d) => d.orderId)}::uuid[],
      ${timeline.map((d) => d.message)}::text[],
      ${timeline.map((d) => JSON.stringify(d.metadata))}::jsonb[]
    ) with ordinality as v(order_id, message, metadata, n)
    order by v.n`.execute(db);
}

/** The reason `recordOutboundFailure` flags an order with when a message is given up on. */
function failedReason(topic: string, error: string): string {
  return `${topic} failed: ${error}`;
}

/** Clears the attention flag a message's failure raised (`recordOutboundFailure`); another reason stays. */
export async function clearFailureAttention(trx: Executor, row: OutboxRow): Promise<boolean> {
  if (!row.order_id || row.last_error === null) return false;
  return clearAttentionReason(trx, {
    orderId: row.order_id,
    reason: failedReason(row.topic, row.last_error),
  });
}
