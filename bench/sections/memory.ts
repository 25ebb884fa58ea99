import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
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
  ROOT,
  rssBytes,
  sleep,
  startGateway,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const MB = 1024 * 1024;
/**
 * Twice the largest retention cap (10,000 completed subscriber-events jobs): by then every completed set in
 * Redis is full, so Redis is at its steady state; the worker's RSS samples of earlier runs stopped rising by
 * then too.
 */
const WARMUP_ORDERS = 10_000;
const CHUNK = 2500;
/**
 * RSS sampled under load swings by tens of MB with no trend (V8 frees garbage only at its full collections:
 * 227–308 MB in one run), and it does not fall at rest either. Each end of the run is therefore the median of
 * its first / last four chunk samples (10,000 orders each) rather than one sample.
 */
const END_SAMPLES = 4;

/**
 * The worker's heap after a full collection, on request (`bench/lib/heap-probe.mjs`, preloaded through
 * NODE_OPTIONS): `sample` signals the worker and waits for the line it appends.
 */
function heapProbe() {
  const file = path.join(os.tmpdir(), `ordergate-heap-probe-${process.pid}-${Date.now()}.jsonl`);
  const probe = pathToFileURL(path.join(ROOT, 'bench/lib/heap-probe.mjs')).href;
  const line = z.union([z.object({ ready: z.literal(true) }), z.object({ heapUsed: z.number() })]);
  /** The complete lines written so far (a line without its newline is still being written). */
  const written = () => {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean);
  };
  let seen = 0;
  return {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${probe}`.trim(),
      BENCH_HEAP_PROBE_FILE: file,
    },
    async sample(pid: number): Promise<number> {
      // Without the probe's handler, SIGUSR2 would end the worker: signal only a worker that has loaded it.
      if (seen === 0) {
        if (!written().some((l) => 'ready' in line.parse(JSON.parse(l)))) {
          throw new Error(`the heap probe did not load in the worker (nothing in ${file})`);
        }
        seen = written().length;
      }
      process.kill(pid, 'SIGUSR2');
      for (let i = 0; i < 100; i++) {
        await sleep(50);
        const lines = written();
        const last = lines.at(-1);
        if (lines.length > seen && last) {
          seen = lines.length;
          const parsed = line.parse(JSON.parse(last));
          if ('heapUsed' in parsed) return parsed.heapUsed;
        }
      }
      throw new Error('the heap probe did not answer within 5 s');
    },
    remove: async () => rmSync(file, { force: true }),
  };
}

/** The middle of a few samples (the mean of the middle two for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Least-squares growth of `ys` over `xs`, as a fraction of the fitted start: the trend the samples share. */
function fittedGrowth(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] ?? my) - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  const start = my - slope * mx + slope * (xs[0] ?? 0);
  const end = my - slope * mx + slope * (xs[n - 1] ?? 0);
  return end / start - 1;
}

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
    // The downstream domain that consumes SUBSCRIBER_EVENTS, played by a no-op BullMQ worker in
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
    const probe = settings.heapProbe ? heapProbe() : undefined;
    const [worker] = (await drainBacklog(env, pattern, 1, probe?.env ?? {}, { keepWorkers: true })).procs;
    if (!worker) throw new Error('no worker');
    procs.push(worker);
    if (probe) closers.push(probe.remove);
    const heapSamples: number[] = [];

    let seq = 0;
    let pushed = 0;
    const push = async (n: number) => {
      seq = await pushBacklog(url, route, runId, n, seq, settings.connections);
      pushed += n;
      await waitDrained(env, pattern, pushed);
    };
    await push(WARMUP_ORDERS);
    await sleep(2000);
    const beforeRedis = await redisUsedMemory(env);
    const afterWarmup = rssBytes(worker.pid);
    const heapAfterWarmup = probe ? await probe.sample(worker.pid) : undefined;
    const rssSamples: number[] = [];
    /** Orders done at each of `rssSamples`. */
    const sampledAt: number[] = [];
    const started = performance.now();
    const rows: (string | number)[][] = [
      [
        `after ${fmt(WARMUP_ORDERS)} warm-up orders`,
        fmt(0),
        fmt(afterWarmup / MB, 1),
        fmt(beforeRedis / MB, 1),
        ...(heapAfterWarmup === undefined ? [] : [fmt(heapAfterWarmup / MB, 1)]),
      ],
    ];
    let done = 0;
    let nextRow = Math.min(settings.memoryOrders, 10_000);
    while (done < settings.memoryOrders) {
      const n = Math.min(CHUNK, settings.memoryOrders - done);
      await push(n);
      done += n;
      const rss = rssBytes(worker.pid);
      rssSamples.push(rss);
      sampledAt.push(done);
      const heap = probe ? await probe.sample(worker.pid) : undefined;
      if (heap !== undefined) heapSamples.push(heap);
      if (done >= nextRow || done >= settings.memoryOrders) {
        rows.push([
          '',
          fmt(done),
          fmt(rss / MB, 1),
          fmt((await redisUsedMemory(env)) / MB, 1),
          ...(heap === undefined ? [] : [fmt(heap / MB, 1)]),
        ]);
        log(`memory: ${fmt(done)} orders, worker RSS ${fmt(rss / MB, 1)} MB`);
        nextRow += 10_000;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await sleep(2000);
    const atRest = rssBytes(worker.pid);
    const afterRedis = await redisUsedMemory(env);
    rows.push([
      'end (2 s idle)',
      fmt(done),
      fmt(atRest / MB, 1),
      fmt(afterRedis / MB, 1),
      ...(probe ? [fmt((await probe.sample(worker.pid)) / MB, 1)] : []),
    ]);
    const before = { rss: median(rssSamples.slice(0, END_SAMPLES)), redis: beforeRedis };
    const after = { rss: median(rssSamples.slice(-END_SAMPLES)), redis: afterRedis };
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
    // Fewer than two groups of samples would compare a group with itself.
    const enoughSamples = rssSamples.length >= 2 * END_SAMPLES;
    const trend = fittedGrowth(sampledAt, rssSamples);
    const pointGrowth = atRest / afterWarmup - 1;
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`;
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
        ...(probe
          ? [
              "BENCH_HEAP_PROBE=1: after every chunk the worker (`bench/lib/heap-probe.mjs`, preloaded) ran a full garbage collection and reported the heap left; those collections also lower its RSS, so compare this run's RSS with a run without the probe only loosely.",
            ]
          : []),
        `Retention: completed jobs are kept for 1 h and at most 5,000 per queue (inbox, outbound), 24 h / 10,000 for subscriber-events; at the end the completed sets held ${completed.join(' / ')} jobs, the wait lists ${waiting.join(' / ')} (inbox / outbound / subscriber-events) and the bench prefix ${String(keys)} keys.`,
      ],
      tables: [
        {
          title: 'Worker RSS and Redis memory',
          headers: [
            '',
            'orders',
            'worker RSS MB',
            'redis used_memory MB',
            ...(probe ? ['worker heap after a full GC MB'] : []),
          ],
          rows,
        },
      ],
      targets: [
        {
          target: `worker RSS growth ≤ 10% over ${fmt(settings.memoryOrders)} orders`,
          measured: enoughSamples
            ? `median of the first ${END_SAMPLES} chunk samples ${fmt(before.rss / MB, 1)} MB → of the last ${END_SAMPLES} ${fmt(after.rss / MB, 1)} MB (${signed(growth)}) over ${fmt(done)} orders`
            : `n/a: ${rssSamples.length} chunk samples, fewer than the ${2 * END_SAMPLES} two separate groups need`,
          met: enoughSamples && growth <= 0.1 && done >= settings.memoryOrders,
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
        ...(heapSamples.length > 0
          ? [
              `Worker heap after a full GC: median of the first ${END_SAMPLES} chunks ${fmt(median(heapSamples.slice(0, END_SAMPLES)) / MB, 1)} MB → of the last ${END_SAMPLES} ${fmt(median(heapSamples.slice(-END_SAMPLES)) / MB, 1)} MB (range ${fmt(Math.min(...heapSamples) / MB, 1)}–${fmt(Math.max(...heapSamples) / MB, 1)} MB).`,
            ]
          : []),
        `Least-squares trend over all ${rssSamples.length} chunk samples: ${signed(trend)} from the first to the last.`,
        `Single samples: after warm-up ${fmt(afterWarmup / MB, 1)} MB → at the end ${fmt(atRest / MB, 1)} MB (${signed(pointGrowth)}); under load the ${fmt(rssSamples.length)} chunk samples ranged ${fmt(Math.min(...rssSamples) / MB, 1)}–${fmt(Math.max(...rssSamples) / MB, 1)} MB.`,
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
