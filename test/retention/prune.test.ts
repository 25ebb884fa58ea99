import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { causeKeys, openIntervention } from '../../src/orders/interventions.js';
import { pruneExpired } from '../../src/retention/prune.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../support/system.js';

const logger = createLogger('silent');
const config = { RETENTION_DAYS: 30, RETENTION_BATCH: 2 };

describe('pruning past RETENTION_DAYS', () => {
  let database: TestDatabase;
  let db: Db;
  let seq = 0;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const event = async (status: string, daysAgo: number) => {
    seq++;
    const row = await sql<{ id: string }>`insert into inbound_events
      (source, dedup_key, event_type, payload, meta, status, received_at, updated_at)
      values ('manual', ${`prune-${seq}`}, 'order', '{}', '{}', ${status},
        now() - make_interval(days => ${daysAgo}), now()) returning id`.execute(db);
    return row.rows[0]?.id ?? '';
  };
  const message = async (status: string, daysAgo: number) => {
    const row = await sql<{ id: number }>`insert into outbox (topic, payload, status, created_at, finished_at)
      values ('t', '{}', ${status}, now() - make_interval(days => ${daysAgo}),
        now() - make_interval(days => ${daysAgo})) returning id`.execute(db);
    return Number(row.rows[0]?.id ?? 0);
  };
  const runRow = async (status: string, daysAgo: number) => {
    const row = await sql<{
      id: string;
    }>`insert into reconciliation_runs (trigger, status, window_start, window_end, started_at)
      values ('schedule', ${status}, now(), now(), now() - make_interval(days => ${daysAgo})) returning id`.execute(
      db,
    );
    return row.rows[0]?.id ?? '';
  };
  const exists = async (table: 'inbound_events' | 'outbox' | 'reconciliation_runs', id: string | number) =>
    (
      await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where id = ${id}`.execute(
        db,
      )
    ).rows[0]?.n === 1;

  it('deletes old processed, delivered and finished rows in batches, and keeps everything else', async () => {
    const oldProcessed = await Promise.all([1, 2, 3, 4, 5].map(() => event('processed', 40)));
    const newProcessed = await event('processed', 5);
    const oldUnfinished = await event('received', 40);
    const oldDeadOpen = await event('dead', 40);
    const oldDeadResolved = await event('dead', 40);
    await openIntervention(db, {
      source: 'dead_event',
      causeKey: causeKeys.event(oldDeadOpen),
      summary: 'x',
      eventId: oldDeadOpen,
    });
    const resolved = await openIntervention(db, {
      source: 'dead_event',
      causeKey: causeKeys.event(oldDeadResolved),
      summary: 'x',
      eventId: oldDeadResolved,
    });
    await db.updateTable('interventions').set({ state: 'resolved' }).where('id', '=', resolved.id).execute();

    const oldDelivered = await Promise.all([1, 2, 3].map(() => message('delivered', 40)));
    const oldDead = await message('dead', 40);
    const newDelivered = await message('delivered', 2);
    const oldFinished = await runRow('succeeded', 40);
    const newFinished = await runRow('failed', 3);

    const result = await pruneExpired(db, config, logger);
    expect(result).toEqual({ inboxEvents: 6, outboxMessages: 3, reconciliationRuns: 1 });
    for (const id of [...oldProcessed, oldDeadResolved])
      expect(await exists('inbound_events', id)).toBe(false);
    for (const id of [newProcessed, oldUnfinished, oldDeadOpen])
      expect(await exists('inbound_events', id)).toBe(true);
    for (const id of oldDelivered) expect(await exists('outbox', id)).toBe(false);
    for (const id of [oldDead, newDelivered]) expect(await exists('outbox', id)).toBe(true);
    expect(await exists('reconciliation_runs', oldFinished)).toBe(false);
    expect(await exists('reconciliation_runs', newFinished)).toBe(true);
  });

  describe.skipIf(!usingPostgres)('when a worker holds an old row', () => {
    it('skips it without waiting, and prunes it on a later run', async () => {
      const held = await event('processed', 40);
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('begin');
        await other.query('select id from inbound_events where id = $1 for update', [held]);
        const result = await pruneExpired(db, config, logger);
        expect(result.inboxEvents).toBe(0);
        expect(await exists('inbound_events', held)).toBe(true);
        await other.query('commit');
      } finally {
        await other.end();
      }
      expect((await pruneExpired(db, config, logger)).inboxEvents).toBe(1);
    });
  });
});
