import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { BENCH_SKUS, BENCH_WAREHOUSE, BENCH_YS_STORE, newRunId, skuOf } from '../lib/bodies.js';
import { pushBacklog } from '../lib/orders.js';
import { sampleTree, type TreeSample } from '../lib/process-tree.js';
import { fmt, type SectionResult } from '../lib/report.js';
import {
  ADMIN_TOKEN,
  deleteRedisPrefix,
  freePort,
  loadAverage,
  log,
  machineFacts,
  REDIS_URL,
  ROOT,
  sleep,
  YS_MARKET_TOKEN,
  YS_SU_TOKEN,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const MB = 1024 * 1024;
/** The budget for the whole tree of `npm start` (npm, sh, tsx, esbuild, node). */
const BUDGET = 450 * MB;
const CHUNK = 1250;
/** Orders before the "no growth" comparison starts: PGlite's buffers, its WebAssembly memory and V8's old
 * generation fill within the first few thousand orders, then stay. */
const WARMUP_ORDERS = 2500;
/** Samples on each side of the "no growth" comparison (their median: one sample swings with V8's GCs). */
const SIDE = 3;
/** "No growth": the last samples' median at most this far above the first samples' after the warm-up. */
const GROWTH_BOUND = 16 * MB;
/** Idle time after the gateway first answers before the "after start" sample (migrations, first timers). */
const IDLE_SETTLE_MS = 5000;
/** Idle time after a chunk is drained before it is sampled. */
const REST_MS = 2000;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
};

interface NpmStart {
  child: ChildProcess;
  pid: number;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `npm start` as a user runs it on embedded defaults: no DATABASE_URL (PGlite under DATA_DIR), the bench's
 * Redis and queue prefix (so the run can be cleaned up), in its own process group so the whole tree stops.
 */
async function npmStart(dataDir: string, queuePrefix: string): Promise<NpmStart> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: undefined,
    NODE_ENV: undefined,
    DATA_DIR: dataDir,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    YEMEKSEPETI_MARKET_TOKEN: YS_MARKET_TOKEN,
    YEMEKSEPETI_SU_TOKEN: YS_SU_TOKEN,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('npm start did not start');
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-pid, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited during start:\n${out.slice(-3000)}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start not ready in 300 s:\n${out.slice(-3000)}`);
    }
    await sleep(200);
  }
  return { child, pid, url, output: () => out, stop };
}

async function admin(url: string, method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Where the node process's memory is, from its own metrics: V8's heap, and memory outside it (`external`,
 * which holds PGlite's WebAssembly memory and Buffers).
 */
async function heapAndExternal(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!res.ok) return 'n/a';
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^ordergate_${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return `heap ${mb(value('nodejs_heap_size_total_bytes'))}, external ${mb(value('nodejs_external_memory_bytes'))}`;
}

/** The bench catalogue through the admin API (the database is inside the process). */
async function seedCatalogue(url: string): Promise<void> {
  await admin(url, 'PUT', `/admin/warehouses/${BENCH_WAREHOUSE}`, {
    category: 'market',
    name: 'Bench market',
    externalStoreIds: [BENCH_YS_STORE],
  });
  const items = Array.from({ length: BENCH_SKUS }, (_, i) => ({ sku: skuOf(i), onHand: 1_000_000_000 }));
  await admin(url, 'PUT', `/admin/warehouses/${BENCH_WAREHOUSE}/stock`, { items });
}

async function eventsWithStatus(url: string, status: string): Promise<number> {
  const page = (await admin(url, 'GET', `/admin/events?status=${status}&limit=1`)) as { total?: unknown };
  return Number(page.total);
}

/** Until no inbox event waits to be handled (received, or failed and due for a retry). */
async function waitDrained(url: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = (await eventsWithStatus(url, 'received')) + (await eventsWithStatus(url, 'failed'));
    if (waiting === 0) return;
    if (Date.now() > deadline) throw new Error(`${waiting} inbox events still waiting after ${timeoutMs} ms`);
    await sleep(500);
  }
}

const mb = (bytes: number) => fmt(bytes / MB, 1);
const breakdown = (s: TreeSample) =>
  [...s.members]
    .sort((a, b) => b.rss - a.rss)
    .map((m) => `${m.comm} ${mb(m.rss)}`)
    .join(', ');

/**
 * The whole process tree of `npm start` on embedded defaults: idle after a first start (new data directory)
 * and after a later one, and at rest after each chunk of orders pushed and handled.
 */
export async function memoryEmbeddedSection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ordergate-bench-embedded-'));
  const queuePrefix = `{ogbench-embedded-${newRunId()}}`;
  const runId = newRunId();
  const total = settings.embeddedOrders;
  let running: NpmStart | undefined;
  try {
    running = await npmStart(dataDir, queuePrefix);
    await sleep(IDLE_SETTLE_MS);
    const firstIdle = sampleTree(running.pid);
    log(`memory-embedded: first start idle ${mb(firstIdle.rss)} MB (${breakdown(firstIdle)})`);
    await seedCatalogue(running.url);
    const rows: (string | number)[][] = [
      [
        'idle after a first start (new data directory)',
        '–',
        mb(firstIdle.rss),
        mb(firstIdle.pss),
        breakdown(firstIdle),
      ],
    ];
    const samples: { orders: number; tree: TreeSample }[] = [];
    let seq = 0;
    let done = 0;
    const started = performance.now();
    while (done < total) {
      const n = Math.min(CHUNK, total - done);
      seq = await pushBacklog(running.url, 'yemeksepeti', runId, n, seq, settings.connections);
      await waitDrained(running.url);
      done += n;
      await sleep(REST_MS);
      const tree = sampleTree(running.pid);
      samples.push({ orders: done, tree });
      rows.push([
        `at rest after ${fmt(done)} orders`,
        fmt(done),
        mb(tree.rss),
        mb(tree.pss),
        `${breakdown(tree)}; node ${await heapAndExternal(running.url)}`,
      ]);
      log(`memory-embedded: ${fmt(done)} orders, tree ${mb(tree.rss)} MB`);
    }
    const seconds = (performance.now() - started) / 1000;
    const attention = await eventsWithStatus(running.url, 'attention');
    const dead = await eventsWithStatus(running.url, 'dead');
    await running.stop();

    running = await npmStart(dataDir, queuePrefix);
    await sleep(IDLE_SETTLE_MS);
    const laterIdle = sampleTree(running.pid);
    rows.push([
      'idle after a later start (same data directory)',
      '–',
      mb(laterIdle.rss),
      mb(laterIdle.pss),
      breakdown(laterIdle),
    ]);
    await running.stop();
    running = undefined;

    const afterWarmup = samples.filter((s) => s.orders >= WARMUP_ORDERS);
    const enough = afterWarmup.length >= 2 * SIDE;
    const first = median(afterWarmup.slice(0, SIDE).map((s) => s.tree.rss));
    const last = median(afterWarmup.slice(-SIDE).map((s) => s.tree.rss));
    const end = samples.at(-1)?.tree.rss ?? Number.NaN;
    const peak = Math.max(...samples.map((s) => s.tree.rss));
    const ordersAt = (list: typeof samples) => list.map((s) => fmt(s.orders)).join(', ');
    return {
      section: 'memory-embedded',
      title: 'Memory of the embedded default (`npm start`)',
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      setup: [
        '`npm start` as a user runs it: no DATABASE_URL, so PGlite under a new DATA_DIR; the local Redis with a bench queue prefix; `NODE_ENV` unset (development); the gateway, the workers and the scheduler in one node process under npm, sh and tsx.',
        "RSS: the sum of VmRSS over every process of the tree (from /proc, as `ps` shows it: pages shared between processes, such as node's own code, count once per process); PSS splits them and is shown beside it.",
        `Idle: ${IDLE_SETTLE_MS / 1000} s after the gateway first answers. Orders: ${fmt(total)} Yemeksepeti pushes (the bench catalogue: one mapped store, stock for every SKU, set through the admin API) in chunks of ${fmt(CHUNK)}, each pushed by ${settings.connections} connections and handled before a sample taken after ${REST_MS / 1000} s at rest; ${fmt(total)} orders in ${fmt(seconds, 0)} s, ${attention} for attention, ${dead} dead.`,
        `"No growth": after a warm-up of ${fmt(WARMUP_ORDERS)} orders, the median of the last ${SIDE} samples is at most ${mb(GROWTH_BOUND)} MB above the median of the first ${SIDE} (one sample alone swings by tens of MB with V8's collections).`,
      ],
      tables: [
        {
          title: 'Process tree of `npm start`',
          headers: ['', 'orders', 'tree RSS MB', 'tree PSS MB', 'RSS per process MB'],
          rows,
        },
      ],
      targets: [
        {
          target: `≤ ${mb(BUDGET)} MB for the whole tree idle after start`,
          measured: `first start ${mb(firstIdle.rss)} MB, later start ${mb(laterIdle.rss)} MB`,
          met: firstIdle.rss <= BUDGET && laterIdle.rss <= BUDGET,
        },
        {
          target: `≤ ${mb(BUDGET)} MB for the whole tree at rest after ${fmt(total)} orders`,
          measured: `${mb(end)} MB (peak at rest ${mb(peak)} MB)`,
          met: end <= BUDGET,
        },
        {
          target: `no growth over ${fmt(total)} orders`,
          measured: enough
            ? `median at ${ordersAt(afterWarmup.slice(0, SIDE))} orders ${mb(first)} MB → at ${ordersAt(afterWarmup.slice(-SIDE))} ${mb(last)} MB (${last >= first ? '+' : ''}${mb(last - first)} MB; bound +${mb(GROWTH_BOUND)} MB)`
            : `n/a: ${afterWarmup.length} samples after the warm-up, fewer than ${2 * SIDE}`,
          met: enough && last - first <= GROWTH_BOUND,
        },
      ],
      notes:
        total < 10_000
          ? [`This run used ${fmt(total)} orders (BENCH_EMBEDDED_ORDERS); the target names 10,000.`]
          : [],
    };
  } catch (err) {
    if (running) log(`memory-embedded: npm start output:\n${running.output().slice(-3000)}`);
    throw err;
  } finally {
    await running?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    await deleteRedisPrefix(redis, queuePrefix).catch((e: unknown) => log(`redis cleanup: ${String(e)}`));
    redis.disconnect();
  }
}
