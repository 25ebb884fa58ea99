import { sql } from 'kysely';
import { newRunId, pickRoute, pushRequest } from '../lib/bodies.js';
import { runOpenLoop } from '../lib/load.js';
import {
  drainBacklog,
  externalIdPattern,
  pushBacklog,
  pushToCommitLatency,
  pushToCommitStages,
  seedCatalogue,
  waitForOutboxSettled,
} from '../lib/orders.js';
import { fmt, type SectionResult } from '../lib/report.js';
import { bareTransactions, profileStatements } from '../lib/statements.js';
import {
  createBenchEnv,
  loadAverage,
  log,
  machineFacts,
  type Proc,
  sleep,
  startGateway,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

function cpuCell(cpu: Record<string, number>, key: string): string {
  return `${fmt((cpu[key] ?? 0) * 100)}%`;
}

/** A throughput-table row for a run at an offered rate: its committed rate and push → commit latency. */
function latencyRow(
  label: string,
  latency: { n: number; spanSec: number; p50: number; p99: number },
): (string | number)[] {
  return [
    label,
    fmt(latency.n / latency.spanSec),
    fmt(latency.p50, 1),
    fmt(latency.p99, 1),
    '–',
    '–',
    '–',
    '–',
  ];
}

/** Orders in the batch whose statements are recorded for the report. */
const BATCH_PROFILE = 20;

function cpuPerOrder(drain: { cpu: Record<string, number>; ordersPerSec: number }): string {
  const ms = (key: string) => fmt(((drain.cpu[key] ?? 0) / Math.max(1, drain.ordersPerSec)) * 1000, 2);
  return `worker ${ms('worker 1')} ms, Postgres ${ms('postgres')} ms, Redis ${ms('redis')} ms`;
}

export async function e2eSection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const env = await createBenchEnv('e2e');
  const procs: Proc[] = [];
  const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 128);
  const bareClients = Math.min(concurrency, 64);
  try {
    await seedCatalogue(env);
    const gateway = await startGateway(env);
    procs.push(gateway);
    const url = `http://127.0.0.1:${gateway.port}`;
    const route = await pickRoute(url);
    log(`e2e: route ${route}`);

    // 1. What an order costs in statements (real processor, in this process, on a recording pool): one
    // order alone, and in a batch of BATCH_PROFILE orders as the worker handles the jobs it holds.
    const pushedIds = async (count: number) => {
      const run = newRunId();
      await pushBacklog(url, route, run, count, 0, Math.min(count, 8));
      return (
        await env.handle.db
          .selectFrom('inbound_events')
          .select('id')
          .where('external_order_id', 'like', externalIdPattern(route, run))
          .execute()
      ).map((r) => r.id);
    };
    const profile = await profileStatements(env, await pushedIds(5), 'single');
    const batchProfile = await profileStatements(env, await pushedIds(BATCH_PROFILE), 'batch');
    log(
      `e2e: alone ${fmt(profile.outside, 1)} + ${fmt(profile.inside, 1)} statements per order; in a batch of ${BATCH_PROFILE} ${fmt(batchProfile.outside, 2)} + ${fmt(batchProfile.inside, 2)}`,
    );

    // 2. Sustained: a backlog of N pushed orders drained by one worker process.
    const runId = newRunId();
    const pattern = externalIdPattern(route, runId);
    await pushBacklog(url, route, runId, settings.e2eOrders, 0, settings.connections);
    log(`e2e: ${settings.e2eOrders} orders pushed; draining`);
    const drain = await drainBacklog(env, pattern, 1);
    log(`e2e: drained at ${fmt(drain.ordersPerSec)}/s (steady ${fmt(drain.steadyPerSec)}/s)`);
    log(`e2e: CPU per order while draining: ${cpuPerOrder(drain)}`);
    if (process.env.BENCH_E2E_DRAIN_ONLY === '1')
      throw new Error('BENCH_E2E_DRAIN_ONLY=1: stopped after the drain');
    const orderIds = env.handle.db
      .selectFrom('orders')
      .select('id')
      .where('external_order_id', 'in', (eb) =>
        eb
          .selectFrom('inbound_events')
          .select('external_order_id')
          .where('external_order_id', 'like', pattern)
          .where('source', '=', route === 'yemeksepeti' ? 'yemeksepeti' : 'manual'),
      );
    // YS orders are keyed by order_id (UUID), manual ones by externalOrderId: count through the inbox rows.
    const counted = await sql<{
      orders: number;
      items: number;
      reservations: number;
      timeline: number;
      outbox: number;
    }>`
      with o as (${orderIds})
      select (select count(*) from o)::int as orders,
        (select count(*) from order_items where order_id in (select id from o))::int as items,
        (select count(*) from stock_reservations where order_id in (select id from o))::int as reservations,
        (select count(*) from order_events where order_id in (select id from o))::int as timeline,
        (select count(*) from outbox where order_id in (select id from o))::int as outbox`.execute(
      env.handle.db,
    );
    const c = counted.rows[0];

    // 3. Latency at a fixed offered rate, with the worker running.
    const [worker] = (await drainBacklog(env, pattern, 1, {}, { keepWorkers: true })).procs;
    if (worker) procs.push(worker);

    // The target rate, and (when the drain showed it is beyond capacity) 60% of the measured capacity, to
    // show the latency of a system that keeps up.
    const drainRate = Number.isFinite(drain.steadyPerSec) ? drain.steadyPerSec : drain.ordersPerSec;
    const rates = [settings.e2eRate];
    if (drainRate * 0.6 < settings.e2eRate) rates.push(Math.max(10, Math.round(drainRate * 0.6)));
    const ratedRuns: {
      rate: number;
      accepted: number;
      latency: Awaited<ReturnType<typeof pushToCommitLatency>>;
      stages: Awaited<ReturnType<typeof pushToCommitStages>>;
    }[] = [];
    let warmup:
      | { rate: number; latency: Awaited<ReturnType<typeof pushToCommitLatency>>; backlogAtEnd: number }
      | undefined;
    const offer = (runId: string, rate: number, durationSec: number) =>
      runOpenLoop({
        url,
        request: (seq) => pushRequest(route, seq, runId),
        connections: Math.min(settings.connections, 32),
        durationSec,
        rate,
      });
    const unprocessed = async (pattern: string) =>
      Number(
        (
          await env.handle.db
            .selectFrom('inbound_events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('external_order_id', 'like', pattern)
            .where('processed_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      );
    // Let the tail of a run finish before its push → commit is read from the inbox rows; a run whose orders
    // are not all committed within two minutes fails the section rather than report the ones that were.
    const committed = async (pattern: string) => {
      for (let i = 0; i < 240; i++) {
        if ((await unprocessed(pattern)) === 0) return;
        await sleep(500);
      }
      throw new Error(`orders of run ${pattern} still uncommitted after 120 s`);
    };
    for (const offered of rates) {
      // The drain (or the previous run) counts committed orders; their outbound messages (delivery requests)
      // may still be queued. Each latency run starts once that work is done, so it measures its own load.
      const settledAfter = await waitForOutboxSettled(env);
      log(`e2e: earlier outbound work settled after ${fmt(settledAfter, 1)} s`);
      // The worker process is fresh: before the first timed run it is warmed up at the offered rate, and the
      // timed run follows without a gap, as the ingestion section warms each gateway. The warm-up's latency (a
      // cold start under load) is its own row, with what of it was still uncommitted as the timed run began.
      let warmPattern: string | undefined;
      if (!warmup && settings.e2eWarmupSec > 0) {
        const warmRun = newRunId();
        warmPattern = externalIdPattern(route, warmRun);
        await offer(warmRun, offered, settings.e2eWarmupSec);
      }
      const rateRun = newRunId();
      const ratePattern = externalIdPattern(route, rateRun);
      const [rated, backlogAtEnd] = await Promise.all([
        offer(rateRun, offered, settings.durationSec),
        warmPattern ? unprocessed(warmPattern) : 0,
      ]);
      if (warmPattern) {
        await committed(warmPattern);
        warmup = { rate: offered, latency: await pushToCommitLatency(env, warmPattern), backlogAtEnd };
        log(
          `e2e: warm-up @${offered}/s p50 ${fmt(warmup.latency.p50, 1)} p99 ${fmt(warmup.latency.p99, 1)} ms; ${backlogAtEnd} of its orders uncommitted as the timed run began`,
        );
      }
      await committed(ratePattern);
      const latency = await pushToCommitLatency(env, ratePattern);
      const stages = await pushToCommitStages(env, ratePattern);
      ratedRuns.push({ rate: offered, accepted: rated.okPerSec, latency, stages });
      log(`e2e: @${offered}/s p50 ${fmt(latency.p50, 1)} p99 ${fmt(latency.p99, 1)} ms`);
    }
    const first = ratedRuns[0];
    if (!first) throw new Error('no rated run');
    const latency = first.latency;
    const rated = { okPerSec: first.accepted, ok2xx: Math.round(first.accepted * settings.durationSec) };
    await worker?.stop();
    await gateway.stop();

    // 4. Bare pg baseline with the same statements per order and the same concurrency (within what the
    // server's max_connections leaves beside the bench's own pools).
    const bare = await bareTransactions(env, profile, bareClients, settings.durationSec);
    log(`e2e: bare pg ${fmt(bare.ordersPerSec)}/s`);

    const rate = drainRate;
    return {
      section: 'e2e',
      title: 'End to end (push → order committed)',
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      setup: [
        `Route: ${route === 'yemeksepeti' ? 'Yemeksepeti create push (3 items, mapped store → warehouse with stock, customer, SUBSCRIBER_EVENTS and delivery outbox rows)' : 'manual channel (3 items, warehouse reservation, customer)'}.`,
        `Sustained: ${fmt(settings.e2eOrders)} orders pushed first (gateway only), then one worker process (\`src/worker.ts\`, WORKER_CONCURRENCY=${concurrency}) drains them; rate = finished inbox rows per second, steady = between 10% and 90% of the backlog.`,
        `Latency: ${fmt(settings.e2eRate)}/s offered (open loop, evenly spaced) for ${settings.durationSec} s with a fresh worker running, started once the drain's outbound messages were all delivered ${settings.e2eWarmupSec > 0 ? `and after ${settings.e2eWarmupSec} s of warm-up of the fresh worker at the first rate (\`BENCH_E2E_WARMUP\`; its latency is its own row)` : 'without a warm-up (`BENCH_E2E_WARMUP=0`)'}; push → commit = inbox received_at → processed_at (stamped after the order transaction commits).`,
        `One order handled alone costs ${fmt(profile.outside, 1)} autocommit statements + ${fmt(profile.inside, 1)} statements in ${fmt(profile.transactions, 1)} transaction(s) (recorded from the real processor): ${profile.sequence.join(' → ')}.`,
        `The worker handles the inbox jobs it holds in batches (two in flight, up to half of WORKER_CONCURRENCY each): ${BATCH_PROFILE} orders together cost ${fmt(batchProfile.outside * BATCH_PROFILE)} autocommit statements + ${fmt(batchProfile.inside * BATCH_PROFILE)} statements in ${fmt(batchProfile.transactions * BATCH_PROFILE)} transaction(s), i.e. ${fmt(batchProfile.outside + batchProfile.inside, 2)} statements per order: ${batchProfile.sequence.join(' → ')}.`,
        `Mean round trip per statement kind on an otherwise idle database (ms): ${Object.entries(
          profile.meanMs,
        )
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${fmt(v, 2)}`)
          .join(', ')}.`,
        `Bare pg baseline: ${bareClients} pg clients in the bench process, each doing per "order" the statements of an order handled alone: ${Math.round(profile.outside)} autocommit single-row inserts + begin, ${Math.round(profile.inside)} single-row inserts, commit.`,
      ],
      tables: [
        {
          title: 'Throughput',
          headers: [
            'path',
            'orders/s',
            'p50 ms',
            'p99 ms',
            'worker CPU',
            'postgres CPU',
            'redis CPU',
            'whole machine',
          ],
          rows: [
            [
              `bare pg, the statements of an order handled alone (${bareClients} clients)`,
              fmt(bare.ordersPerSec),
              fmt(bare.p50, 1),
              fmt(bare.p99, 1),
              '–',
              '–',
              '–',
              '–',
            ],
            [
              `ordergate, 1 worker draining ${fmt(drain.events)} (overall ${fmt(drain.ordersPerSec)}/s in ${fmt(drain.seconds, 1)} s)`,
              fmt(rate),
              '–',
              '–',
              cpuCell(drain.cpu, 'worker 1'),
              cpuCell(drain.cpu, 'postgres'),
              cpuCell(drain.cpu, 'redis'),
              cpuCell(drain.cpu, 'whole machine'),
            ],
            ...(warmup
              ? [
                  latencyRow(
                    `warm-up of the fresh worker @ ${fmt(warmup.rate)}/s offered for ${settings.e2eWarmupSec} s (not the target's run, which follows it without a gap; ${fmt(warmup.backlogAtEnd)} of its orders uncommitted as that run began)`,
                    warmup.latency,
                  ),
                ]
              : []),
            ...ratedRuns.map((r) =>
              latencyRow(
                `ordergate @ ${fmt(r.rate)}/s offered for ${settings.durationSec} s (${fmt(r.accepted)}/s accepted; last order committed after ${fmt(r.latency.spanSec, 1)} s)`,
                r.latency,
              ),
            ),
          ],
        },
        {
          title: 'Push → commit by stage (the orders whose job was still kept in Redis)',
          headers: ['offered', 'orders', ...first.stages.stages.map((st) => `${st.name} p50 / p99 ms`)],
          rows: ratedRuns.map((r) => [
            `${fmt(r.rate)}/s`,
            fmt(r.stages.n),
            ...r.stages.stages.map((st) => `${fmt(st.p50, 1)} / ${fmt(st.p99, 1)}`),
          ]),
        },
        {
          title: 'What the drained backlog left in Postgres',
          headers: [
            'inbox processed',
            'attention',
            'dead',
            'orders',
            'items',
            'reservations',
            'timeline',
            'outbox',
          ],
          rows: [
            [
              fmt(drain.processed),
              fmt(drain.attention),
              fmt(drain.dead),
              fmt(c?.orders ?? 0),
              fmt(c?.items ?? 0),
              fmt(c?.reservations ?? 0),
              fmt(c?.timeline ?? 0),
              fmt(c?.outbox ?? 0),
            ],
          ],
        },
      ],
      notes: [`CPU per order while draining: ${cpuPerOrder(drain)}.`],
      targets: [
        { target: '≥ 1,000 orders/s sustained', measured: `${fmt(rate)}/s (steady)`, met: rate >= 1000 },
        {
          target: `p99 ≤ 250 ms at ${fmt(settings.e2eRate)}/s offered`,
          measured: `p50 ${fmt(latency.p50, 1)} ms, p99 ${fmt(latency.p99, 1)} ms over ${fmt(latency.n)} orders`,
          met: latency.p99 <= 250 && latency.n >= rated.ok2xx * 0.99,
        },
        {
          target: 'every pushed order committed',
          measured: `${fmt(c?.orders ?? 0)} orders of ${fmt(drain.events)} pushes`,
          met: (c?.orders ?? 0) === drain.events,
        },
      ],
    };
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await env.drop();
  }
}
