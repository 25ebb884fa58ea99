import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Subscription } from '../../src/db/listen.js';
import { createInboxBatcher, type InboxBatcher } from '../../src/inbox/batcher.js';
import { INBOX_CHANNEL, type IngestInput } from '../../src/inbox/ingest.js';
import { AppError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, type TestDatabase, usingPostgres, waitFor } from '../support/system.js';

const logger = createLogger('silent');

function event(key: string, payload: unknown = { n: key }): IngestInput {
  return { source: 'manual', dedupKey: key, eventType: 'order.create', externalOrderId: key, payload };
}

let database: TestDatabase;
let batcher: InboxBatcher;
let subscription: Subscription;
/** Every id announced on the inbox channel, in order. */
const announced: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  batcher = createInboxBatcher({ db: database.handle.db, logger }, { maxBatch: 16 });
  let listening: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    listening = resolve;
  });
  subscription = await database.handle.listen(INBOX_CHANNEL, {
    onNotify: (id) => announced.push(id),
    onListening: () => listening(),
  });
  await started;
});

afterAll(async () => {
  await subscription?.close();
  await database?.drop();
});

async function rowsFor(keys: string[]) {
  return database.handle.db
    .selectFrom('inbound_events')
    .select(['id', 'dedup_key', 'payload'])
    .where('dedup_key', 'in', keys)
    .execute();
}

describe('when many distinct events arrive at once (more than one batch)', () => {
  it('stores each once, announces its id once, and answers each caller with its own id', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `many-${i}-${randomUUID()}`);
    const results = await Promise.all(keys.map((k) => batcher.ingest(event(k))));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(keys.length);
    const rows = await rowsFor(keys);
    expect(rows).toHaveLength(keys.length);
    for (const [i, key] of keys.entries()) {
      const row = rows.find((r) => r.dedup_key === key);
      expect(row?.id).toBe(results[i]?.eventId);
      expect(row?.payload).toEqual({ n: key });
    }
    const ids = results.map((r) => r.eventId);
    await waitFor(() => ids.every((id) => announced.includes(id)) || undefined);
    expect(announced.filter((id) => ids.includes(id))).toHaveLength(ids.length);
  });
});

describe('when the same key arrives twice in the same batch', () => {
  it('stores one row; the second caller gets the first event id as a duplicate', async () => {
    const key = `twice-${randomUUID()}`;
    const [a, b] = await Promise.all([batcher.ingest(event(key)), batcher.ingest(event(key))]);
    expect(a).toEqual({ eventId: expect.any(String), duplicate: false });
    expect(b).toEqual({ eventId: a?.eventId, duplicate: true });
    expect(await rowsFor([key])).toHaveLength(1);
  });
});

describe('when the key was stored by an earlier batch', () => {
  it('answers duplicate with the stored id and does not announce it again', async () => {
    const key = `again-${randomUUID()}`;
    const first = await batcher.ingest(event(key));
    const fresh = `fresh-${randomUUID()}`;
    const [second, other] = await Promise.all([batcher.ingest(event(key)), batcher.ingest(event(fresh))]);
    expect(second).toEqual({ eventId: first.eventId, duplicate: true });
    expect(other?.duplicate).toBe(false);
    // The fresh event's announcement comes from the same commit as any repeat of the first would.
    await waitFor(() => announced.includes(other?.eventId ?? '') || undefined);
    expect(announced.filter((id) => id === first.eventId)).toHaveLength(1);
  });
});

describe('when Postgres refuses one event of a batch', () => {
  it('fails only that caller; the others are stored', async () => {
    const good = [`good-a-${randomUUID()}`, `good-b-${randomUUID()}`];
    // jsonb cannot hold U+0000 (the meta column is jsonb): Postgres rejects the row, and with it the whole
    // multi-row insert.
    const bad = batcher.ingest({ ...event(`bad-${randomUUID()}`), meta: { note: 'nul \u0000 here' } });
    const oks = good.map((k) => batcher.ingest(event(k)));
    await expect(bad).rejects.toThrow();
    const results = await Promise.all(oks);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(await rowsFor(good)).toHaveLength(2);
  });
});

describe('when a payload comes without its raw body and holds text Postgres cannot read back', () => {
  it('refuses it as malformed_json and stores nothing', async () => {
    const key = `nul-${randomUUID()}`;
    await expect(batcher.ingest(event(key, { note: 'nul \u0000 here' }))).rejects.toMatchObject({
      code: 'malformed_json',
    });
    expect(await rowsFor([key])).toHaveLength(0);
  });
});

describe('when Postgres is unreachable', () => {
  it('rejects every caller of the batch with the retryable unavailable error', async () => {
    const down = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', dataDir: '' });
    const noDb = createInboxBatcher({ db: down.db, logger });
    const calls = [
      noDb.ingest(event(`down-a-${randomUUID()}`)),
      noDb.ingest(event(`down-b-${randomUUID()}`)),
    ];
    for (const call of calls) {
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'unavailable', retryAfterMs: 5000 });
    }
    await down.close();
  });
});

describe.skipIf(!usingPostgres)('when the gateway stores a batch on Postgres', () => {
  it('runs its insert as the one named prepared statement, planned once per connection, not per batch', async () => {
    // One connection, so the batches and the look at pg_prepared_statements share one backend.
    const handle = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 1 });
    try {
      const single = createInboxBatcher({ db: handle.db, logger });
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          Array.from({ length: 4 }, (_, i) => single.ingest(event(`prepared-${round}-${i}-${randomUUID()}`))),
        );
      }
      const { rows } = await sql<{ statement: string; executions: number }>`
        select statement, (generic_plans + custom_plans)::int as executions from pg_prepared_statements`.execute(
        handle.db,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.statement).toMatch(
        /^\/\* prepared \*\/\s+with inserted as \(\s+insert into inbound_events/,
      );
      expect(rows[0]?.executions).toBe(3);
    } finally {
      await handle.close();
    }
  });
});
