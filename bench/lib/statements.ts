import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/schema.js';
import { integrations } from '../../src/integrations/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createQueues, type InboxJob } from '../../src/queues/index.js';
import { createInboxProcessor } from '../../src/workers/inbox-processor.js';
import { type BenchEnv, productEnv, REDIS_URL } from './system.js';

export interface StatementProfile {
  events: number;
  /** Statements per event outside any transaction (autocommit). */
  outside: number;
  /** Statements per event inside transactions (begin/commit not counted). */
  inside: number;
  transactions: number;
  /** The statement kinds of one event, in order, for the report. */
  sequence: string[];
  /** Mean round trip per statement kind (ms), measured with nothing else running on this database. */
  meanMs: Record<string, number>;
}

function kind(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ').toLowerCase();
  const m =
    /^(insert into|update|delete from) "?(\w+)"?/.exec(t) ??
    /^select .*? from "?(\w+)"?/.exec(t) ??
    /^(begin|commit|rollback)/.exec(t);
  if (!m) return t.slice(0, 40);
  if (m[1] === 'begin' || m[1] === 'commit' || m[1] === 'rollback') return m[1];
  if (t.startsWith('select') && t.includes('pg_advisory_xact_lock')) return 'advisory lock';
  return m[2] ? `${m[1]} ${m[2]}` : `select ${m[1]}`;
}

/**
 * Runs already-stored inbox events through the real inbox processor in this process on a Kysely whose pool
 * records every statement text: how many statements an order costs, and how many of them run inside a
 * transaction. `single` hands the processor one event at a time (the shape of an unbatched order, which
 * drives the bare pg baseline); `batch` hands it every event at once, as a worker holding that many jobs does.
 */
export async function profileStatements(
  env: BenchEnv,
  eventIds: string[],
  mode: 'single' | 'batch' = 'single',
): Promise<StatementProfile> {
  const pool = new pg.Pool({ connectionString: env.url, max: 2 });
  let texts: string[] = [];
  const timings = new Map<string, number[]>();
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0];
      const text = typeof first === 'string' ? first : String((first as { text?: string }).text ?? '');
      texts.push(text);
      const started = performance.now();
      const result = original(...args);
      if (result instanceof Promise) {
        void result.then(
          () => {
            const k = kind(text);
            timings.set(k, [...(timings.get(k) ?? []), performance.now() - started]);
          },
          () => {},
        );
      }
      return result;
    };
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const config = loadConfig(productEnv(env));
  const producer = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const queues = createQueues(producer, config);
  const logger = createLogger('silent');
  const ctx = { config, db, queues, logger, ingest: () => Promise.reject(new Error('not in the profile')) };
  const process = createInboxProcessor(ctx, new Map(integrations.map((i) => [i.source, i])));
  let outside = 0;
  let inside = 0;
  let transactions = 0;
  let sequence: string[] = [];
  try {
    const jobFor = (eventId: string) =>
      ({ data: { eventId }, attemptsMade: 0, opts: { attempts: 8 } }) as unknown as Job<InboxJob>;
    const rounds = mode === 'single' ? eventIds.map((id) => [id]) : [eventIds];
    for (const round of rounds) {
      texts = [];
      await Promise.all(round.map((eventId) => process(jobFor(eventId))));
      let inTx = false;
      for (const text of texts) {
        const k = kind(text);
        if (k === 'begin') {
          inTx = true;
          transactions++;
        } else if (k === 'commit' || k === 'rollback') inTx = false;
        else if (inTx) inside++;
        else outside++;
      }
      sequence = texts.map(kind);
    }
  } finally {
    await queues.close();
    producer.disconnect();
    await db.destroy();
  }
  const n = eventIds.length;
  return {
    events: n,
    outside: outside / n,
    inside: inside / n,
    transactions: transactions / n,
    sequence,
    meanMs: Object.fromEntries(
      [...timings.entries()].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]),
    ),
  };
}

/**
 * The bare pg baseline: `concurrency` clients, each doing per "order" the same number of autocommit
 * statements and one transaction with the same number of statements, every one a single-row insert with a
 * small jsonb into a scratch table. No ORM, no queue, no application logic.
 */
export async function bareTransactions(
  env: BenchEnv,
  profile: StatementProfile,
  concurrency: number,
  durationSec: number,
): Promise<{ ordersPerSec: number; p50: number; p99: number }> {
  const pool = new pg.Pool({ connectionString: env.url, max: concurrency });
  await pool.query(`create table if not exists bench_baseline (
    id bigint generated always as identity primary key, ref uuid not null, n int not null, payload jsonb not null,
    created_at timestamptz not null default now())`);
  const outside = Math.round(profile.outside);
  const inside = Math.round(profile.inside);
  const insert = 'insert into bench_baseline (ref, n, payload) values (gen_random_uuid(), $1, $2)';
  const payload = JSON.stringify({ sku: 'SKU-00001', quantity: 2, note: 'bench' });
  const stopAt = performance.now() + durationSec * 1000;
  const latencies: number[] = [];
  const loop = async () => {
    const client = await pool.connect();
    try {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        for (let i = 0; i < outside; i++) await client.query(insert, [i, payload]);
        await client.query('begin');
        for (let i = 0; i < inside; i++) await client.query(insert, [i, payload]);
        await client.query('commit');
        latencies.push(performance.now() - t0);
      }
    } finally {
      client.release();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
  return { ordersPerSec: latencies.length / seconds, p50: at(50), p99: at(99) };
}
