import { sql } from 'kysely';
import { BENCH_SKUS, BENCH_WAREHOUSE, BENCH_YS_STORE, pushRequest, type Route, skuOf } from './bodies.js';

export { externalIdPattern } from './bodies.js';

import { percentile, runLoad } from './load.js';
import { type BenchEnv, cpuMeter, log, type Proc, rssBytes, sleep, startWorker } from './system.js';

/** The warehouse, its Yemeksepeti store mapping and stock for every bench SKU (plenty: no shortages). */
export async function seedCatalogue(env: BenchEnv): Promise<void> {
  await sql`insert into warehouses (code, category, name) values (${BENCH_WAREHOUSE}, 'market', 'Bench market')
    on conflict do nothing`.execute(env.handle.db);
  await sql`insert into warehouse_external_stores (channel, external_store_id, warehouse_code)
    values ('yemeksepeti', ${BENCH_YS_STORE}, ${BENCH_WAREHOUSE}) on conflict do nothing`
    .execute(env.handle.db)
    .catch(() => {
      // Builds without store mappings (the manual channel names its warehouse) do not have the table.
    });
  const skus = Array.from({ length: BENCH_SKUS }, (_, i) => skuOf(i));
  await sql`insert into stock_levels (warehouse_code, sku, on_hand)
    select ${BENCH_WAREHOUSE}, s, 1000000000 from unnest(${skus}::text[]) as s on conflict do nothing`.execute(
    env.handle.db,
  );
}

/** Pushes `count` unique orders through the gateway as fast as it takes them (closed loop). */
export async function pushBacklog(
  gatewayUrl: string,
  route: Route,
  runId: string,
  count: number,
  firstSeq: number,
  connections: number,
): Promise<number> {
  let accepted = 0;
  let seq = firstSeq;
  while (accepted < count) {
    const remaining = count - accepted;
    // autocannon runs by time; a short burst per round, then top up to the exact count.
    const r = await runLoad({
      url: gatewayUrl,
      request: (i) => pushRequest(route, seq + i, runId),
      connections: Math.min(connections, remaining),
      durationSec: Math.max(1, Math.min(10, Math.ceil(remaining / 2000))),
      maxRequests: remaining,
    });
    seq += r.sent;
    accepted += r.ok2xx;
    if (r.ok2xx === 0) throw new Error(`the gateway accepted nothing: ${JSON.stringify(r.statusCounts)}`);
  }
  return seq;
}

export interface DrainSample {
  t: number;
  done: number;
  workerRss: number[];
  redisUsedMemory: number;
}

export interface DrainResult {
  events: number;
  processed: number;
  attention: number;
  dead: number;
  seconds: number;
  ordersPerSec: number;
  /** Rate between 10% and 90% done (no start-up or tail). */
  steadyPerSec: number;
  cpu: Record<string, number>;
  samples: DrainSample[];
}

async function inboxCounts(env: BenchEnv, pattern: string) {
  const rows = await env.handle.db
    .selectFrom('inbound_events')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('external_order_id', 'like', pattern)
    .groupBy('status')
    .execute();
  const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  return {
    total: rows.reduce((s, r) => s + Number(r.n), 0),
    processed: by.processed ?? 0,
    attention: by.attention ?? 0,
    dead: by.dead ?? 0,
  };
}

export async function redisUsedMemory(env: BenchEnv): Promise<number> {
  const info = await env.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/**
 * Starts `workers` worker processes on an existing backlog and waits until every inbox row of the run is
 * finished. CPU per process, Postgres and Redis is measured over the drain.
 */
export async function drainBacklog(
  env: BenchEnv,
  pattern: string,
  workers: number,
  workerEnv: Record<string, string> = {},
  options: { sampleEveryMs?: number; timeoutSec?: number; keepWorkers?: boolean } = {},
): Promise<DrainResult & { procs: Proc[] }> {
  const initial = await inboxCounts(env, pattern);
  // All processes start together; they take jobs as soon as each is up, so the headline rate is the steady
  // one (10% → 90% of the backlog), which leaves out start-up and the tail.
  const started = performance.now();
  const procs = await Promise.all(
    Array.from({ length: workers }, (_, i) => startWorker(env, workerEnv, `worker ${i + 1}`)),
  );
  const meter = cpuMeter(procs.map((p) => ({ name: p.name, pid: p.pid })));
  const samples: DrainSample[] = [];
  const deadline = started + (options.timeoutSec ?? 1800) * 1000;
  let counts = initial;
  let t10: number | undefined;
  let t90: number | undefined;
  const target = initial.total;
  for (;;) {
    await sleep(options.sampleEveryMs ?? 500);
    counts = await inboxCounts(env, pattern);
    const done = counts.processed + counts.attention + counts.dead;
    const t = (performance.now() - started) / 1000;
    samples.push({
      t,
      done,
      workerRss: procs.map((p) => rssBytes(p.pid)),
      redisUsedMemory: await redisUsedMemory(env),
    });
    if (t10 === undefined && done >= target * 0.1) t10 = t;
    if (t90 === undefined && done >= target * 0.9) t90 = t;
    if (done >= target) break;
    if (performance.now() > deadline) {
      log(`drain: timed out at ${done}/${target}`);
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter.stop();
  if (!options.keepWorkers) for (const p of procs) await p.stop();
  const done = counts.processed + counts.attention + counts.dead;
  return {
    events: target,
    processed: counts.processed,
    attention: counts.attention,
    dead: counts.dead,
    seconds,
    ordersPerSec: done / seconds,
    steadyPerSec:
      t10 !== undefined && t90 !== undefined && t90 > t10 ? (target * 0.8) / (t90 - t10) : Number.NaN,
    cpu,
    samples,
    procs,
  };
}

/**
 * Waits until no outbox message is left to relay or deliver (the outbound work a drain leaves behind), so a
 * timed run that follows measures its own load only. Returns the seconds waited.
 */
export async function waitForOutboxSettled(env: BenchEnv, timeoutSec = 600): Promise<number> {
  const started = performance.now();
  for (;;) {
    const open = await env.handle.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['pending', 'enqueued'])
      .executeTakeFirstOrThrow();
    const seconds = (performance.now() - started) / 1000;
    if (Number(open.n) === 0 || seconds > timeoutSec) return seconds;
    await sleep(250);
  }
}

/** Push → order committed, per event: inbox `received_at` → `processed_at` (set after the order commit). */
export async function pushToCommitLatency(
  env: BenchEnv,
  pattern: string,
): Promise<{ n: number; p50: number; p99: number; max: number; spanSec: number }> {
  const rows = await env.handle.db
    .selectFrom('inbound_events')
    .select(sql<number>`extract(epoch from (processed_at - received_at)) * 1000`.as('ms'))
    .where('external_order_id', 'like', pattern)
    .where('processed_at', 'is not', null)
    .execute();
  const sorted = Float64Array.from(rows.map((r) => Number(r.ms))).sort();
  const span = await env.handle.db
    .selectFrom('inbound_events')
    .select(sql<number>`extract(epoch from (max(processed_at) - min(received_at)))`.as('s'))
    .where('external_order_id', 'like', pattern)
    .executeTakeFirst();
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    spanSec: Number(span?.s ?? Number.NaN),
  };
}

export interface StageSplit {
  /** Orders whose BullMQ job hash was still there (completed jobs are kept up to the retention count). */
  n: number;
  stages: { name: string; p50: number; p99: number }[];
}

/**
 * Push → commit split at the points both stores stamp: the inbox row's `received_at` (gateway insert), the
 * job hash's `timestamp` (added) and `processedOn` (a worker took it), the order's `created_at` (its creation
 * transaction began) and the inbox row's `processed_at` (the outcome was recorded). Postgres and the worker
 * read the same clock on one machine.
 */
export async function pushToCommitStages(env: BenchEnv, pattern: string): Promise<StageSplit> {
  const { rows } = await sql<{ id: string; received: number; processed: number; created: number | null }>`
    select e.id, extract(epoch from e.received_at) * 1000 as received,
      extract(epoch from e.processed_at) * 1000 as processed, extract(epoch from o.created_at) * 1000 as created
    from inbound_events e
    left join orders o on o.channel = e.source and o.external_order_id = e.external_order_id
    where e.external_order_id like ${pattern} and e.processed_at is not null`.execute(env.handle.db);
  const pipeline = env.redis.pipeline();
  for (const row of rows) pipeline.hmget(`${env.queuePrefix}:inbox:${row.id}`, 'timestamp', 'processedOn');
  const replies = (await pipeline.exec()) ?? [];
  const names = [
    'push → job added',
    'job added → job active',
    'job active → order transaction began',
    'transaction began → outcome recorded',
  ];
  const spans: number[][] = names.map(() => []);
  rows.forEach((row, i) => {
    const reply = replies[i]?.[1];
    if (!Array.isArray(reply) || row.created === null) return;
    // A field the job hash no longer has (its job was trimmed by the retention count) is null, not 0.
    const [added, active] = reply.map((v) => (v === null || v === undefined ? Number.NaN : Number(v)));
    if (added === undefined || active === undefined || !Number.isFinite(added) || !Number.isFinite(active))
      return;
    const points = [Number(row.received), added, active, Number(row.created), Number(row.processed)];
    for (let k = 0; k < names.length; k++) spans[k]?.push((points[k + 1] ?? 0) - (points[k] ?? 0));
  });
  return {
    n: spans[0]?.length ?? 0,
    stages: names.map((name, k) => {
      const sorted = Float64Array.from(spans[k] ?? []).sort();
      return { name, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    }),
  };
}
