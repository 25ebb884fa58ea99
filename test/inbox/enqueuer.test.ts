import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { createInboxBatcher } from '../../src/inbox/batcher.js';
import { type InboxEnqueuer, startInboxEnqueuer } from '../../src/inbox/enqueuer.js';
import type { IngestInput } from '../../src/inbox/ingest.js';
import { createLogger } from '../../src/lib/logger.js';
import type { InboxJob } from '../../src/queues/index.js';
import { createRedisConnection } from '../../src/redis/connection.js';
import { createTestDatabase, type TestDatabase, usingPostgres, waitFor } from '../support/system.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const logger = createLogger('silent');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function event(key: string): IngestInput {
  return {
    source: 'manual',
    dedupKey: key,
    eventType: 'order.create',
    externalOrderId: key,
    payload: { key },
  };
}

let database: TestDatabase;
const opened: { close(): Promise<unknown> }[] = [];

/** A queue under its own prefix, on `url` (a proxy in front of Redis, or Redis itself). */
function inboxQueue(prefix: string, url = redisUrl): Queue<InboxJob> {
  const connection: Redis = createRedisConnection(url);
  connection.on('error', () => {});
  const queue = new Queue<InboxJob>('inbox', { connection, prefix });
  queue.on('error', () => {});
  opened.push({ close: () => queue.close().then(() => connection.disconnect()) });
  return queue;
}

async function enqueuer(queue: Queue<InboxJob>, db = database.handle): Promise<InboxEnqueuer> {
  const started = await startInboxEnqueuer({
    db: db.db,
    listen: db.listen,
    inbox: queue,
    logger,
    enqueueTimeoutMs: 500,
  });
  opened.push(started);
  await started.ready;
  return started;
}

async function jobIds(queue: Queue<InboxJob>): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
  return jobs.map((job) => job.id ?? '').sort();
}

/** Stores events as the gateway does (batched insert + announcement); returns their ids, sorted. */
async function store(db: TestDatabase['handle'], keys: string[]): Promise<string[]> {
  const batcher = createInboxBatcher({ db: db.db, logger });
  const results = await Promise.all(keys.map((key) => batcher.ingest(event(key))));
  return results.map((r) => r.eventId).sort();
}

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const handle of opened.reverse()) await handle.close().catch(() => {});
  await database?.drop();
});

/** Every stored row still `received`, by any test of this file: what a catch-up enqueues. */
async function receivedIds(): Promise<string[]> {
  const rows = await database.handle.db
    .selectFrom('inbound_events')
    .select('id')
    .where('status', '=', 'received')
    .execute();
  return rows.map((r) => r.id).sort();
}

describe('when events are stored while two worker processes listen', () => {
  it('adds exactly one job per event, under the event id', async () => {
    const queue = inboxQueue(`{og-enq-${randomUUID().slice(0, 8)}}`);
    await enqueuer(queue);
    await enqueuer(queue);
    const ids = await store(
      database.handle,
      Array.from({ length: 30 }, (_, i) => `two-${i}-${randomUUID()}`),
    );
    const all = await receivedIds();
    await waitFor(async () => ((await jobIds(queue)).length === all.length ? true : undefined));
    expect(await jobIds(queue)).toEqual(all);
    expect(all).toEqual(expect.arrayContaining(ids));
  });
});

describe('when events were stored while no worker listened', () => {
  it('enqueues every received row as soon as one starts', async () => {
    const ids = await store(database.handle, [`before-a-${randomUUID()}`, `before-b-${randomUUID()}`]);
    const queue = inboxQueue(`{og-enq-${randomUUID().slice(0, 8)}}`);
    await enqueuer(queue);
    // `ready` means the first catch-up has run: the jobs are there without waiting for a sweep.
    expect(await jobIds(queue)).toEqual(expect.arrayContaining(ids));
  });
});

describe('when Redis refuses the jobs', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(redisUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    opened.push({ close: () => proxy.close() });
  });

  it('keeps retrying, and each event has its job once Redis answers', async () => {
    const prefix = `{og-enq-${randomUUID().slice(0, 8)}}`;
    await enqueuer(inboxQueue(prefix, proxy.url(redisUrl)));
    proxy.refuse();
    const ids = await store(database.handle, [`refused-a-${randomUUID()}`, `refused-b-${randomUUID()}`]);
    const direct = inboxQueue(prefix);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const whileRefused = await jobIds(direct);
    expect(ids.filter((id) => whileRefused.includes(id))).toEqual([]);
    proxy.restore();
    await waitFor(async () => {
      const jobs = await jobIds(direct);
      return ids.every((id) => jobs.includes(id)) ? true : undefined;
    });
  });
});

describe.skipIf(!usingPostgres)('when the listening connection to Postgres drops', () => {
  it('listens again, and events stored meanwhile are enqueued by its catch-up', async () => {
    const target = new URL(database.url ?? '');
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    opened.push({ close: () => proxy.close() });
    const proxied = await openDatabase({ databaseUrl: proxy.url(database.url ?? ''), dataDir: '' });
    opened.push(proxied);
    const queue = inboxQueue(`{og-enq-${randomUUID().slice(0, 8)}}`);
    await enqueuer(queue, proxied);
    proxy.refuse();
    // Stored directly, while the enqueuer hears nothing.
    const ids = await store(database.handle, [`dropped-a-${randomUUID()}`, `dropped-b-${randomUUID()}`]);
    proxy.restore();
    await waitFor(async () => {
      const jobs = await jobIds(queue);
      return ids.every((id) => jobs.includes(id)) ? true : undefined;
    });
  });
});
