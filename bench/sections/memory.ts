import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { newRunId, pickRoute } from '../lib/bodies.js';
import {
  drainBacklog,
  externalIdPattern,
  pushBacklog,
  redisUsedMemory,
  seedCatalogue,
} from '../lib/orders.js';
import { fmt, type SectionResult } from '../lib/report.js';
import {
  createBenchEnv,
  loadAverage,
  log,
  machineFacts,
  type Proc,
  REDIS_URL,
  rssBytes,
  sleep,
  startGateway,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const MB = 1024 * 1024;
const WARMUP_ORDERS = 5000;
const CHUNK = 2500;

async function waitDrained(env: Parameters<typeof drainBacklog>[0], pattern: string, expected: number) {
  for (;;) {
    const row = await env.handle.db
      .selectFrom('inbound_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('external_order_id', 'like', pattern)
      .where('status', 'in', ['processed', 'attention', 'dead'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) >= expected) return;
    await sleep(250);
  }
}

/**
 * One worker process runs throughout; orders arrive in chunks of 2,500 (pushed, then drained), so the queue
 * holds at most a chunk of waiting jobs and what remains in Redis is what the retention policy keeps.
 */
export async function memorySection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const env = await createBenchEnv('memory');
  const procs: Proc[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    await seedCatalogue(env);
    const gateway = await startGateway(env);
    procs.push(gateway);
    const url = `http://127.0.0.1:${gateway.port}`;
    const route = await pickRoute(url);
    const runId = newRunId();
    const pattern = externalIdPattern(route, runId);
    // The downstream domain that consumes SUBSCRIBER_EVENTS (seed 003), played by a no-op BullMQ worker in
    // the bench process: without a consumer that queue's wait list grows by one job per order.
    const subscriberConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const subscriber = new Worker('subscriber-events', async () => {}, {
      connection: subscriberConnection,
      prefix: env.queuePrefix,
      concurrency: 50,
    });
    closers.push(async () => {
      await subscriber.close();
      subscriberConnection.disconnect();
    });
    const [worker] = (await drainBacklog(env, pattern, 1, {}, { keepWorkers: true })).procs;
    if (!worker) throw new Error('no worker');
    procs.push(worker);

    let seq = 0;
    let pushed = 0;
    const push = async (n: number) => {
      seq = await pushBacklog(url, route, runId, n, seq, settings.connections);
      pushed += n;
      await waitDrained(env, pattern, pushed);
    };
    await push(WARMUP_ORDERS);
    await sleep(2000);
    const before = { rss: rssBytes(worker.pid), redis: await redisUsedMemory(env) };
    const started = performance.now();
    const rows: (string | number)[][] = [
      ['after warm-up', fmt(0), fmt(before.rss / MB, 1), fmt(before.redis / MB, 1)],
    ];
    let done = 0;
    let at10k: number | undefined;
    let nextRow = Math.min(settings.memoryOrders, 10_000);
    while (done < settings.memoryOrders) {
      const n = Math.min(CHUNK, settings.memoryOrders - done);
      await push(n);
      done += n;
      if (done >= nextRow || done >= settings.memoryOrders) {
        rows.push([
          '',
          fmt(done),
          fmt(rssBytes(worker.pid) / MB, 1),
          fmt((await redisUsedMemory(env)) / MB, 1),
        ]);
        if (at10k === undefined) at10k = rssBytes(worker.pid);
        log(`memory: ${fmt(done)} orders, worker RSS ${fmt(rssBytes(worker.pid) / MB, 1)} MB`);
        nextRow += 10_000;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await sleep(2000);
    const after = { rss: rssBytes(worker.pid), redis: await redisUsedMemory(env) };
    rows.push(['end (2 s idle)', fmt(done), fmt(after.rss / MB, 1), fmt(after.redis / MB, 1)]);
    const keys = await env.redis.eval(
      `local n = 0 local cursor = '0' repeat local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = r[1] n = n + #r[2] until cursor == '0' return n`,
      0,
      `${env.queuePrefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
    );
    const completed = await Promise.all(
      ['inbox', 'outbound', 'subscriber-events'].map((q) =>
        env.redis.zcard(`${env.queuePrefix}:${q}:completed`),
      ),
    );
    const waiting = await Promise.all(
      ['inbox', 'outbound', 'subscriber-events'].map((q) => env.redis.llen(`${env.queuePrefix}:${q}:wait`)),
    );
    const growth = after.rss / before.rss - 1;
    const steadyGrowth = at10k ? after.rss / at10k - 1 : Number.NaN;
    await worker.stop();
    await gateway.stop();
    return {
      section: 'memory',
      title: 'Memory',
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      setup: [
        `One worker process for the whole run; ${fmt(WARMUP_ORDERS)} warm-up orders, then ${fmt(done)} ${route} orders in chunks of ${fmt(CHUNK)} (pushed, then drained) in ${fmt(seconds, 0)} s (${fmt(done / seconds)} orders/s including the pushes).`,
        'Worker RSS from /proc; Redis `used_memory` from INFO (the whole Redis server, so other users of this Redis count too).',
        `Retention: completed jobs are kept for 1 h and at most 5,000 per queue (inbox, outbound), 24 h / 10,000 for subscriber-events; at the end the completed sets held ${completed.join(' / ')} jobs, the wait lists ${waiting.join(' / ')} (inbox / outbound / subscriber-events) and the bench prefix ${String(keys)} keys.`,
      ],
      tables: [
        {
          title: 'Worker RSS and Redis memory',
          headers: ['', 'orders', 'worker RSS MB', 'redis used_memory MB'],
          rows,
        },
      ],
      targets: [
        {
          target: `worker RSS growth ≤ 10% over ${fmt(settings.memoryOrders)} orders`,
          measured: `${fmt(before.rss / MB, 1)} → ${fmt(after.rss / MB, 1)} MB (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%) over ${fmt(done)} orders`,
          met: growth <= 0.1 && done >= settings.memoryOrders,
        },
        {
          target: 'Redis bounded by the retention policy',
          measured: `${fmt(before.redis / MB, 1)} → ${fmt(after.redis / MB, 1)} MB; completed sets ${completed.join(' / ')} (caps 5,000 / 5,000 / 10,000); waiting ${waiting.join(' / ')}`,
          met:
            (completed[0] ?? 0) <= 5000 &&
            (completed[1] ?? 0) <= 5000 &&
            (completed[2] ?? 0) <= 10_000 &&
            waiting.every((w) => w < CHUNK),
        },
      ],
      notes: [
        `RSS growth from the first sample (${fmt(Math.min(10_000, done))} orders) to the end: ${fmt(steadyGrowth * 100, 1)}%.`,
        ...(done < 100_000
          ? [
              `This run used ${fmt(done)} orders (BENCH_MEMORY_ORDERS); the target names 100,000: run \`BENCH_MEMORY_ORDERS=100000 npm run bench -- memory\`.`,
            ]
          : []),
      ],
    };
  } finally {
    for (const close of closers) await close().catch(() => {});
    for (const p of procs) await p.stop().catch(() => {});
    await env.drop();
  }
}
