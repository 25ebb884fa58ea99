import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';

export const RETENTION_JOB = 'retention-prune';

/** Most batches one run deletes per table; the next run goes on where it stopped. */
const MAX_BATCHES = 500;
/** A pause between batches, so vacuum, replication and the order path keep up. */
const PAUSE_MS = 20;

export interface PruneResult {
  inboxEvents: number;
  outboxMessages: number;
  reconciliationRuns: number;
}

/**
 * Deletes what is past RETENTION_DAYS, in batches of RETENTION_BATCH rows, each its own short statement:
 * processed inbox rows, delivered outbox messages and finished reconciliation runs. Dead inbox rows and dead
 * outbox messages are kept until their intervention is resolved (replayed rows become processed and go the
 * normal way). The order path is never touched: no order row is read or locked, rows a worker holds are
 * skipped (`skip locked`), and a batch that would wait on a lock gives up (`lock_timeout`) for the next run.
 */
export async function pruneExpired(
  db: Db,
  config: Pick<Config, 'RETENTION_DAYS' | 'RETENTION_BATCH'>,
  logger: Logger,
): Promise<PruneResult> {
  const cutoff = sql<Date>`now() - make_interval(days => ${config.RETENTION_DAYS})`;
  const limit = config.RETENTION_BATCH;
  const batches = async (batch: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (let n = 0; n < MAX_BATCHES; n++) {
      const deleted = await batch();
      total += deleted;
      if (deleted < limit) break;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    return total;
  };
  const deleteIn = (statement: ReturnType<typeof sql>) =>
    db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '2s'`.execute(trx);
      const result = await statement.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });

  // (status, received_at) index: the oldest processed rows first.
  const inboxEvents = await batches(() =>
    deleteIn(sql`delete from inbound_events where id in (
      select id from inbound_events where status = 'processed' and received_at < ${cutoff}
      order by received_at limit ${limit} for update skip locked)`),
  );
  const resolvedDeadEvents = await batches(() =>
    deleteIn(sql`delete from inbound_events where id in (
      select e.id from interventions i join inbound_events e on e.id = i.event_id
      where i.source = 'dead_event' and i.state = 'resolved' and e.status in ('dead', 'attention')
        and e.received_at < ${cutoff}
        and not exists (select 1 from interventions o where o.event_id = e.id and o.state = 'open')
      limit ${limit} for update of e skip locked)`),
  );
  // Outbox ids grow with time: the oldest are found from the start of the primary key, and the walk stops at
  // the first message newer than the cutoff.
  const outboxMessages = await batches(() =>
    deleteIn(sql`delete from outbox where id in (
      select id from outbox
      where id < coalesce((select id from outbox where created_at >= ${cutoff} order by id limit 1),
          (select max(id) + 1 from outbox))
        and status = 'delivered' and finished_at < ${cutoff}
      order by id limit ${limit} for update skip locked)`),
  );
  const resolvedDeadOutbox = await batches(() =>
    deleteIn(sql`delete from outbox where id in (
      select o.id from interventions i join outbox o on o.id = i.outbox_id
      where i.source in ('dead_outbox', 'rule_refusal') and i.state = 'resolved' and o.status = 'dead'
        and o.created_at < ${cutoff}
        and not exists (select 1 from interventions x where x.outbox_id = o.id and x.state = 'open')
      limit ${limit} for update of o skip locked)`),
  );
  const reconciliationRuns = await batches(() =>
    deleteIn(sql`delete from reconciliation_runs where id in (
      select id from reconciliation_runs where status <> 'running' and started_at < ${cutoff}
      order by started_at limit ${limit})`),
  );
  const result = {
    inboxEvents: inboxEvents + resolvedDeadEvents,
    outboxMessages: outboxMessages + resolvedDeadOutbox,
    reconciliationRuns,
  };
  if (result.inboxEvents || result.outboxMessages || result.reconciliationRuns) logger.info(result, 'pruned');
  return result;
}
