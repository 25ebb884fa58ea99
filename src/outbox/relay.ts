import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db, Executor } from '../db/index.js';
import type { OutboxRow, OutboxStatus } from '../db/schema.js';
import type { Publication, Publisher } from '../integrations/types.js';
import { AppError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { clearAttentionReason, setAttentionReason } from '../orders/attention.js';
import { causeKeys, openIntervention } from '../orders/interventions.js';
import { addTimelineEvent } from '../orders/timeline.js';
import { type Queues, removeIdleJob, replayedJobState, withTimeout } from '../queues/index.js';

/** Longest a relay pass waits for Redis to take its jobs before it gives the rows back. */
export const RELAY_ENQUEUE_TIMEOUT_MS = 2000;

export function outboundJobId(outboxId: number): string {
  return `outbox-${outboxId}`;
}

function outboundJobFor(row: OutboxRow) {
  return {
    name: row.topic,
    data: {
      outboxId: row.id,
      topic: row.topic,
      orderId: row.order_id,
      payload: (row.payload ?? {}) as Record<string, unknown>,
    },
    opts: { jobId: outboundJobId(row.id) },
  };
}

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
async function clearFailureAttention(trx: Executor, row: OutboxRow): Promise<boolean> {
  if (!row.order_id || row.last_error === null) return false;
  return clearAttentionReason(trx, {
    orderId: row.order_id,
    reason: failedReason(row.topic, row.last_error),
  });
}

/**
 * Puts a dead outbox message back for the relay, with a fresh attempt budget. The row is locked for the whole
 * replay, so two replays of one message run one after the other (the second finds it no longer dead: 409).
 * Its BullMQ job, if Redis still keeps it, is removed so the job id can be reused: a failed one, or a
 * dashboard retry still waiting; one running right now is a 409. The row goes back to `pending`, and the
 * relay sends it as it would a new message. The timeline says who asked, and the attention flag the failure
 * raised is cleared (a new failure raises it again); a flag raised for another reason stays.
 *
 * A message that is not dead answers 409: it was delivered, or it is on its way. So does one whose job a
 * dashboard retry delivered after all: the row is settled delivered with its timeline entry, not sent again.
 * That is known only while Redis keeps the completed job (the outbound queue's retention); after that, a
 * replay sends the message again, and only the provider's idempotency key stands between it and a double.
 */
export async function replayOutboxMessage(
  db: Db,
  outbound: Pick<Queue, 'getJob' | 'remove'>,
  outboxId: number,
  actor: string,
): Promise<void> {
  const outcome = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', outboxId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'outbox message not found', { details: { outboxId } });
    if (row.status !== 'dead') {
      throw new AppError('conflict', `outbox message is ${row.status}; only a dead message can be replayed`, {
        details: { outboxId, status: row.status },
      });
    }
    const jobId = outboundJobId(outboxId);
    const state = await replayedJobState(outbound, jobId);
    if (state === 'completed') {
      // Retried from the dashboard and delivered, but its settlement was never written.
      await clearFailureAttention(trx, row);
      await settleDelivered(trx, [
        {
          outboxId,
          orderId: row.order_id,
          message: `${row.topic} delivered by a retry of its job`,
          metadata: { topic: row.topic, outboxId, outcome: 'succeeded' },
        },
      ]);
      return 'delivered' as const;
    }
    const beingDelivered = () =>
      new AppError('conflict', 'outbox message is being delivered right now', { details: { outboxId } });
    if (state === 'active') throw beingDelivered();
    if (state !== undefined && !(await removeIdleJob(outbound, jobId))) throw beingDelivered();
    await trx
      .updateTable('outbox')
      .set({ status: 'pending', enqueued_at: null, finished_at: null, last_error: null })
      .where('id', '=', outboxId)
      .execute();
    const attentionCleared = await clearFailureAttention(trx, row);
    if (row.order_id) {
      await addTimelineEvent(trx, {
        orderId: row.order_id,
        type: 'provider_call',
        actor,
        message: `${row.topic} replay requested (was dead: ${row.last_error ?? 'no error recorded'})`,
        metadata: { topic: row.topic, outboxId, outcome: 'replay_requested', attentionCleared },
      });
    }
    return 'reopened' as const;
  });
  if (outcome === 'delivered') {
    throw new AppError('conflict', 'outbox message was delivered by a retry of its job', {
      details: { outboxId, status: 'delivered' },
    });
  }
}

export interface OutboxSweepResult {
  checked: number;
  requeued: number;
  settled: number;
}

/**
 * The outbox twin of the inbox sweeper: a message handed to the outbound queue but never settled is checked
 * against BullMQ. A job that vanished (Redis lost its data) is enqueued again from the row; a job that ended
 * without the row being updated (the worker died in between) settles the row from the job's state.
 */
export async function sweepOutbox(
  db: Db,
  queues: Queues,
  logger: Logger,
  olderThanMs: number,
  limit = 500,
): Promise<OutboxSweepResult> {
  const rows = await db
    .selectFrom('outbox')
    .selectAll()
    .where('status', '=', 'enqueued')
    .where('enqueued_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('id')
    .limit(limit)
    .execute();
  const result: OutboxSweepResult = { checked: rows.length, requeued: 0, settled: 0 };
  let consecutiveErrors = 0;
  for (const row of rows) {
    if (consecutiveErrors >= 3) break;
    try {
      const job = await queues.outbound.getJob(outboundJobId(row.id));
      const state = job ? await job.getState() : 'missing';
      if (state === 'completed') {
        await settleOutbox(db, row.id, 'delivered', null, 'enqueued');
        result.settled++;
      } else if (state === 'failed' && job) {
        await settleOutbox(db, row.id, 'dead', job.failedReason, 'enqueued');
        result.settled++;
      } else if (state === 'missing' || state === 'unknown') {
        const { name, data, opts } = outboundJobFor(row);
        await queues.outbound.add(name, data, opts);
        result.requeued++;
      }
      consecutiveErrors = 0;
    } catch (err) {
      consecutiveErrors++;
      logger.warn({ outboxId: row.id, err: errorMessage(err) }, 'sweeper could not check outbox message');
    }
  }
  if (result.requeued || result.settled) logger.info(result, 'outbox sweep');
  return result;
}

export interface RelayContext {
  config: Config;
  queues: Queues;
  /**
   * Topics the relay publishes itself (`Integration.published`); every other topic, and a message its
   * publisher hands back, becomes an outbound job.
   */
  publishers?: ReadonlyMap<string, Publisher>;
}

/**
 * Moves committed outbox rows onto the outbound queue. Rows are claimed with `for update skip locked`, so
 * several worker processes relay in parallel without sending a row twice; the job id is derived from the
 * row id, so a relay that dies between enqueue and marking cannot create a second job. A topic with a
 * publisher (a hand-off to one of our own queues) is added to its queue right here and settled delivered,
 * with its timeline entry, in the same transaction; one the publisher refuses is settled dead, and one it
 * hands back (`undefined`: there is a provider to call after all) becomes an outbound job.
 */
export async function relayOutboxOnce(db: Db, ctx: RelayContext, batchSize = 200): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(batchSize)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return 0;
    const outbound: OutboxRow[] = [];
    const delivered: DeliveredMessage[] = [];
    const byQueue = new Map<Queue, { name: string; data: unknown; opts: { jobId: string } }[]>();
    for (const row of rows) {
      const publisher = ctx.publishers?.get(row.topic);
      let publication: Publication | undefined;
      try {
        publication = publisher?.(ctx, { outboxId: row.id, orderId: row.order_id, payload: row.payload });
      } catch (err) {
        await recordOutboundFailure(trx, {
          outboxId: row.id,
          orderId: row.order_id,
          topic: row.topic,
          attempt: 1,
          final: true,
          error: `cannot be published: ${errorMessage(err)}`,
        });
        continue;
      }
      if (!publication) {
        outbound.push(row);
        continue;
      }
      if (publication.sent) {
        const { queue, name, data, jobId } = publication.job;
        const jobs = byQueue.get(queue) ?? [];
        jobs.push({ name, data, opts: { jobId } });
        byQueue.set(queue, jobs);
      }
      delivered.push({
        outboxId: row.id,
        orderId: row.order_id,
        message: `${row.topic} ${publication.sent ? 'delivered' : 'not sent'}: ${publication.message}`,
        metadata: {
          topic: row.topic,
          outboxId: row.id,
          attempt: 1,
          outcome: publication.sent ? 'succeeded' : 'not_sent',
        },
      });
    }
    // The claim holds its rows (and, on PGlite, the one connection) until Redis answers: a Redis that hangs
    // must fail the pass, not stall it. The rows stay pending; a job that did reach Redis has the same id
    // next time, so the retry adds nothing twice.
    for (const [queue, jobs] of byQueue) {
      await withTimeout(queue.addBulk(jobs), RELAY_ENQUEUE_TIMEOUT_MS, 'relay enqueue');
    }
    if (outbound.length > 0) {
      await withTimeout(
        ctx.queues.outbound.addBulk(outbound.map(outboundJobFor)),
        RELAY_ENQUEUE_TIMEOUT_MS,
        'relay enqueue',
      );
      await trx
        .updateTable('outbox')
        .set({ status: 'enqueued', enqueued_at: sql`now()` })
        .where(
          'id',
          'in',
          outbound.map((r) => r.id),
        )
        .execute();
    }
    await settleDelivered(trx, delivered);
    return rows.length;
  });
}

export interface OutboxRelay {
  /**
   * Relay soon instead of at the next tick (after a command that wrote to the outbox): at once, or when
   * RELAY_NUDGE_GAP_MS have passed since the last pass started.
   */
  nudge(): void;
  /** Stops polling; a pass that is running finishes, and rows a nudge announced are relayed first. */
  stop(): Promise<void>;
}

/** Rows one relay transaction claims. */
const RELAY_BATCH = 200;

/** Shortest gap between passes started by `nudge`: under load, one pass per gap carries every new row. */
export const RELAY_NUDGE_GAP_MS = 50;

export function startOutboxRelay(db: Db, ctx: RelayContext, logger: Logger, intervalMs: number): OutboxRelay {
  let stopped = false;
  let running: Promise<boolean> = Promise.resolve(true);
  let timer: NodeJS.Timeout | undefined;
  let dueAt = 0;
  let lastPass = 0;
  /** A nudge came since the current (or last) pass started: rows may be waiting that it did not claim. */
  let nudged = false;
  /** The last pass failed: wait the full interval, whatever nudges say (Postgres is likely unreachable). */
  let backingOff = false;

  /** Passes until a short one (nothing left to claim); false when a pass failed. */
  const pass = async (): Promise<boolean> => {
    try {
      while ((await relayOutboxOnce(db, ctx, RELAY_BATCH)) === RELAY_BATCH && !stopped) {}
      return true;
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'outbox relay failed; will retry');
      return false;
    }
  };
  const gapLeft = () => Math.max(0, lastPass + RELAY_NUDGE_GAP_MS - Date.now());
  const schedule = (delayMs: number) => {
    if (stopped) return;
    dueAt = Date.now() + delayMs;
    timer = setTimeout(tick, delayMs);
  };
  const tick = () => {
    if (stopped) return;
    timer = undefined;
    lastPass = Date.now();
    nudged = false;
    running = pass();
    void running.then((ok) => {
      backingOff = !ok;
      // Rows committed during the pass, after its last claim, go at the next gap rather than a poll later.
      schedule(ok && nudged ? gapLeft() : intervalMs);
    });
  };
  tick();
  return {
    // At most one pass per gap, so a stream of nudges costs a pass per gap rather than one per nudge.
    nudge: () => {
      if (stopped || backingOff) return;
      nudged = true;
      if (!timer) return;
      const delayMs = gapLeft();
      if (dueAt - Date.now() <= delayMs) return;
      clearTimeout(timer);
      schedule(delayMs);
    },
    // The workers drain before the relay stops: rows their last batches wrote go out now, not at the next
    // start (or another process's poll).
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (nudged && !backingOff) await pass();
    },
  };
}
