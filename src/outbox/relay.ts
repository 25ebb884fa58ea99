import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { OutboxRow } from '../db/schema.js';
import type { Publication, Publisher } from '../integrations/types.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { type Queues, withTimeout } from '../queues/index.js';
import { outboundJobFor } from './jobs.js';
import { type DeliveredMessage, recordOutboundFailure, settleDelivered } from './settle.js';

/** Longest a relay pass waits for Redis to take its jobs before it gives the rows back. */
export const RELAY_ENQUEUE_TIMEOUT_MS = 2000;

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
