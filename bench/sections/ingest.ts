import {
  externalIdPattern,
  newRunId,
  type PushRequest,
  pickRoute,
  pushRequest,
  type Route,
} from '../lib/bodies.js';
import { type LoadResult, runLoad, runLoadSpread, runOpenLoop } from '../lib/load.js';
import { fmt, type SectionResult } from '../lib/report.js';
import {
  type BenchEnv,
  cpuMeter,
  createBenchEnv,
  freePort,
  loadAverage,
  log,
  machineFacts,
  type Proc,
  procfileNodeArgs,
  REDIS_URL,
  startGateway,
  startNode,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const ECHO_PATH = '/echo';
/** The hand-written handler's rows and queue (bench/handwritten-server.ts). */
const HANDWRITTEN_SOURCE = 'handwritten';
const HANDWRITTEN_QUEUE = 'handwritten-inbox';

/** The issue's targets, as ratios measured in one run. */
const TARGET_VS_HANDWRITTEN = 2;
const TARGET_VS_ECHO = 0.25;
const TARGET_P99_VS_ECHO = 3;

interface Measured {
  name: string;
  r: LoadResult;
  cpu: Record<string, number>;
}

function windowsText(r: LoadResult): string {
  return (r.slowWindows ?? []).map((w) => `${fmt(w.atSec, 1)} s × ${w.count}`).join(', ') || 'n/a';
}

function row(m: Measured, server: string): (string | number)[] {
  const { r, cpu } = m;
  return [
    m.name,
    fmt(r.okPerSec),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    fmt(r.autocannonP99),
    `${fmt(r.non2xx + r.errors + r.timeouts)}`,
    `${fmt((cpu[server] ?? 0) * 100)}%`,
    `${fmt((cpu.postgres ?? 0) * 100)}%`,
    `${fmt((cpu.redis ?? 0) * 100)}%`,
    `${fmt((cpu['load generator (bench process)'] ?? 0) * 100)}%`,
    `${fmt((cpu['whole machine'] ?? 0) * 100)}%`,
    // CPU per accepted push: robust to a busy machine, unlike the rate.
    fmt((((cpu[server] ?? 0) + (cpu.postgres ?? 0) + (cpu.redis ?? 0)) / Math.max(1, r.okPerSec)) * 1e6),
  ];
}

/**
 * A baseline server in its own node process (the gateway's runtime flags, so it differs from the gateway
 * only in the work per request): warm-up, closed-loop maximum, then the fixed offered rate.
 */
async function measureBaseline(
  label: string,
  entry: string,
  env: Record<string, string>,
  request: (seq: number) => PushRequest,
  settings: BenchSettings,
): Promise<{ max: Measured; rated: Measured; label: string }> {
  const port = await freePort();
  const proc = await startNode(
    label,
    entry,
    { ...env, PORT: String(port) },
    {
      port,
      nodeArgs: procfileNodeArgs('web'),
    },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    const load = { url, request, connections: settings.connections };
    await runLoad({ ...load, durationSec: settings.warmupSec });
    let meter = cpuMeter([{ name: label, pid: proc.pid }]);
    const max = await runLoad({ ...load, durationSec: settings.durationSec });
    const maxCpu = meter.stop();
    log(
      `ingest: ${label} ${fmt(max.okPerSec)}/s p99 ${fmt(max.p99, 2)} ms ${JSON.stringify(max.statusCounts)}`,
    );
    meter = cpuMeter([{ name: label, pid: proc.pid }]);
    const rated = await runOpenLoop({
      ...load,
      durationSec: settings.durationSec,
      rate: settings.ingestRate,
    });
    const ratedCpu = meter.stop();
    log(`ingest: ${label} @ ${fmt(settings.ingestRate)}/s p99 ${fmt(rated.p99, 2)} ms`);
    return {
      max: { name: `${label}, max`, r: max, cpu: maxCpu },
      rated: { name: `${label} @ ${fmt(settings.ingestRate)}/s offered`, r: rated, cpu: ratedCpu },
      label,
    };
  } finally {
    await proc.stop();
  }
}

async function countRows(env: BenchEnv, source: string, pattern: string): Promise<number> {
  const stored = await env.handle.db
    .selectFrom('inbound_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('source', '=', source)
    .where('external_order_id', 'like', pattern)
    .executeTakeFirstOrThrow();
  return Number(stored.n);
}

/** ordergate's gateway runs: 1 process (the target's), N processes and the group commit off, as asked. */
function gatewayRuns(route: Route, settings: BenchSettings) {
  const runs: { name: string; extra: Record<string, string>; rate?: number; gateways?: number }[] = [
    { name: `ordergate ${route} push, max`, extra: {} },
    {
      name: `ordergate ${route} push @ ${fmt(settings.ingestRate)}/s offered`,
      extra: {},
      rate: settings.ingestRate,
    },
  ];
  if (settings.ingestGateways > 1) {
    // Web processes scale horizontally: the same push load spread over N gateways.
    const n = settings.ingestGateways;
    runs.push(
      { name: `ordergate ${route} push, max, ${n} gateway processes`, extra: {}, gateways: n },
      {
        name: `ordergate ${route} push @ ${fmt(settings.ingestRate)}/s offered, ${n} gateway processes`,
        extra: {},
        gateways: n,
        rate: settings.ingestRate,
      },
    );
  }
  if (settings.compareUnbatched) {
    runs.push({ name: `ordergate ${route} push, max, group commit OFF`, extra: { INGEST_BATCH_MAX: '1' } });
  }
  return runs;
}

export async function ingestSection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const runId = newRunId();
  const handwrittenRunId = newRunId();
  const env = await createBenchEnv('ingest');
  const procs: Proc[] = [];
  const connections = settings.connections;
  const duration = settings.durationSec;
  let route: Route = 'manual';
  try {
    // Decide the route first (from a gateway), so the baselines get the same body shape.
    const probeGateway = await startGateway(env);
    route = await pickRoute(`http://127.0.0.1:${probeGateway.port}`);
    await probeGateway.stop();
    log(`ingest: route ${route}`);

    // 1. The bare baseline: Hono JSON echo, same bodies, same load generator.
    const echo = await measureBaseline(
      'bare Hono JSON echo',
      'bench/echo-server.ts',
      {},
      (seq) => ({ ...pushRequest(route, seq, runId), path: ECHO_PATH }),
      settings,
    );
    // 2. The hand-written handler: the same durable work per request, without ordergate.
    const ysRequest = pushRequest('yemeksepeti', 0, handwrittenRunId);
    const token = (ysRequest.headers.authorization ?? '').replace(/^Bearer /, '');
    const handwritten = await measureBaseline(
      'hand-written handler (Hono + pg + BullMQ)',
      'bench/handwritten-server.ts',
      { DATABASE_URL: env.url, REDIS_URL, QUEUE_PREFIX: env.queuePrefix, HANDWRITTEN_TOKEN: token },
      (seq) => pushRequest('yemeksepeti', seq, handwrittenRunId),
      settings,
    );
    const handwrittenAccepted = handwritten.max.r.ok2xx + handwritten.rated.r.ok2xx;

    // 3. Our path: the gateway process (web role only: no workers competing for the cores).
    const results: Measured[] = [];
    let seqBase = 1_000_000;
    let gateways: Proc[] = [];
    let gatewayKey = '';
    let accepted = 0;
    const urls = () => gateways.map((g) => `http://127.0.0.1:${g.port}`);
    for (const run of gatewayRuns(route, settings)) {
      const key = JSON.stringify([run.extra, run.gateways ?? 1]);
      if (key !== gatewayKey) {
        for (const g of gateways) await g.stop();
        gateways = await Promise.all(
          Array.from({ length: run.gateways ?? 1 }, () => startGateway(env, run.extra)),
        );
        procs.push(...gateways);
        gatewayKey = key;
        const base = seqBase;
        const warm = await runLoadSpread(urls(), {
          request: (seq) => pushRequest(route, base + seq, runId),
          connections,
          durationSec: settings.warmupSec,
        });
        accepted += warm.ok2xx;
        seqBase += warm.sent + 1;
      }
      const base = seqBase;
      const m = cpuMeter(gateways.map((g, i) => ({ name: `gateway ${i + 1}`, pid: g.pid })));
      const load = {
        urls: urls(),
        url: urls()[0] ?? '',
        request: (seq: number) => pushRequest(route, base + seq, runId),
        connections,
        durationSec: duration,
      };
      const r = run.rate
        ? await runOpenLoop({ ...load, rate: run.rate })
        : await runLoadSpread(load.urls, load);
      const cpu = m.stop();
      cpu.gateway = gateways.reduce((sum, _, i) => sum + (cpu[`gateway ${i + 1}`] ?? 0), 0);
      results.push({ name: run.name, r, cpu });
      log(
        `ingest: ${run.name}: ${fmt(r.okPerSec)}/s p99 ${fmt(r.p99, 2)} ms ${JSON.stringify(r.statusCounts)}`,
      );
      seqBase += r.sent + 1;
      accepted += r.ok2xx;
    }
    for (const g of gateways) await g.stop();

    // 4. Every 2xx is a row in Postgres, and for the hand-written handler a job in Redis too. ordergate's
    // gateway does not touch Redis: the workers' enqueuer turns the rows into jobs (none runs here), which
    // the e2e section measures.
    const stored = await countRows(env, route, externalIdPattern(route, runId));
    const handwrittenRows = await countRows(
      env,
      HANDWRITTEN_SOURCE,
      externalIdPattern('yemeksepeti', handwrittenRunId),
    );
    const handwrittenJobs = await env.redis.llen(`${env.queuePrefix}:${HANDWRITTEN_QUEUE}:wait`);

    const [oneMax, oneRated, manyMax, manyRated] = results;
    if (!oneMax || !oneRated) throw new Error('the gateway runs did not complete');
    const n = settings.ingestGateways;
    const pct = (x: number) => `${fmt(x * 100, 1)}%`;
    const times = (x: number) => `${fmt(x, 2)}×`;
    const vsHandwritten = oneMax.r.okPerSec / handwritten.max.r.okPerSec;
    const vsEcho = oneMax.r.okPerSec / echo.max.r.okPerSec;
    const p99VsEcho = oneRated.r.p99 / echo.rated.r.p99;
    const also = (text: string) => (manyMax && manyRated ? `; ${n} gateway processes: ${text}` : '');
    const headers = [
      'server',
      '2xx/s',
      'p50 ms',
      'p99 ms',
      'p99 ms (autocannon histogram)',
      'errors/non-2xx',
      'server CPU',
      'postgres CPU',
      'redis CPU',
      'load gen CPU',
      'whole machine (of 200%)',
      'server+pg+redis CPU µs per 2xx',
    ];
    return {
      section: 'ingest',
      title: 'Ingestion',
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      setup: [
        `Route: ${route === 'yemeksepeti' ? 'POST /api/v2/yemeksepeti/order/create (Bearer market token)' : 'POST /api/orders (manual channel; the Yemeksepeti route was not in this build)'}, a unique ~${fmt(pushRequest(route, 1, runId).body.length)}-byte order per request.`,
        'Servers, one at a time, each its own node process with the `web` flags of the Procfile: the bare Hono JSON echo (`bench/echo-server.ts`: parse, answer); the hand-written handler (`bench/handwritten-server.ts`: plain Hono, a pg pool of 20 and a BullMQ queue; per request the bearer token, the provider schema, one `insert … on conflict do nothing returning id` into the inbox table and one `queue.add`, then 202); ordergate (`src/web.ts`, web role only).',
        'The load generator (in the bench process), the server under test, Postgres and Redis share the 2 cores; CPU columns are shares of one core (100% = one core busy).',
        `Max: autocannon closed loop, ${connections} keep-alive connections for ${duration} s after ${settings.warmupSec} s of warm-up; latency send → response per request (plus autocannon's own histogram, whole ms).`,
        `Rated: an open-loop generator in the bench process (node:http keep-alive agent, up to ${connections} connections) sends ${fmt(settings.ingestRate)} requests/s evenly spaced (autocannon's rate limit releases each second's quota as a burst); latency runs from the moment each request was due, so queueing is included (no coordinated omission).`,
        `The ratios compare one ordergate gateway process with one process of each baseline, measured in this run in the order echo → hand-written → ordergate; the ${n > 1 ? `${n}-gateway figures are shown beside them` : 'ratios use one gateway'}.`,
      ],
      tables: [
        {
          title: 'Accepted pushes (closed loop and at a fixed offered rate)',
          headers,
          rows: [
            row(echo.max, echo.label),
            row(echo.rated, echo.label),
            row(handwritten.max, handwritten.label),
            row(handwritten.rated, handwritten.label),
            ...results.map((x) => row(x, 'gateway')),
          ],
        },
        {
          title: 'Every 2xx stored (and, for the hand-written handler, enqueued)',
          headers: [
            'server',
            '2xx answered (incl. warm-up for ordergate)',
            'inbox rows',
            'jobs waiting in Redis',
          ],
          rows: [
            ['ordergate', fmt(accepted), fmt(stored), 'added by the workers'],
            [
              'hand-written handler (timed runs)',
              fmt(handwrittenAccepted),
              fmt(handwrittenRows),
              fmt(handwrittenJobs),
            ],
          ],
        },
      ],
      targets: [
        {
          target: `≥ ${TARGET_VS_HANDWRITTEN}× the hand-written handler's accepted pushes/s`,
          measured: `1 gateway process: ${fmt(oneMax.r.okPerSec)} / ${fmt(handwritten.max.r.okPerSec)} = ${times(vsHandwritten)}${also(times((manyMax?.r.okPerSec ?? 0) / handwritten.max.r.okPerSec))}`,
          met: vsHandwritten >= TARGET_VS_HANDWRITTEN,
        },
        {
          target: `≥ ${pct(TARGET_VS_ECHO)} of the bare echo's accepted pushes/s`,
          measured: `1 gateway process: ${fmt(oneMax.r.okPerSec)} / ${fmt(echo.max.r.okPerSec)} = ${pct(vsEcho)}${also(pct((manyMax?.r.okPerSec ?? 0) / echo.max.r.okPerSec))}`,
          met: vsEcho >= TARGET_VS_ECHO,
        },
        {
          target: `p99 at ${fmt(settings.ingestRate)}/s offered ≤ ${TARGET_P99_VS_ECHO}× the echo's p99 at the same rate`,
          measured: `1 gateway process: p99 ${fmt(oneRated.r.p99, 2)} ms / echo ${fmt(echo.rated.r.p99, 2)} ms = ${times(p99VsEcho)} (p50 ${fmt(oneRated.r.p50, 2)} ms)${also(`p99 ${fmt(manyRated?.r.p99 ?? Number.NaN, 2)} ms = ${times((manyRated?.r.p99 ?? Number.NaN) / echo.rated.r.p99)}`)}; hand-written handler: p99 ${fmt(handwritten.rated.r.p99, 2)} ms`,
          met: p99VsEcho <= TARGET_P99_VS_ECHO && oneRated.r.ok2xx > 0,
        },
        {
          target:
            'every 2xx is stored (rows ≥ 2xx, and hand-written jobs ≥ 2xx; the surplus is requests in flight when a timed run ended)',
          measured: `ordergate ${fmt(accepted)} 2xx, ${fmt(stored)} rows; hand-written ${fmt(handwrittenAccepted)} 2xx, ${fmt(handwrittenRows)} rows, ${fmt(handwrittenJobs)} jobs`,
          met:
            stored >= accepted &&
            handwrittenRows >= handwrittenAccepted &&
            handwrittenJobs >= handwrittenAccepted,
        },
      ],
      notes: [
        `Where each server's slowest 1% at ${fmt(settings.ingestRate)}/s offered were sent (100 ms windows of the run, busiest first: second × requests): echo ${windowsText(echo.rated.r)}; hand-written ${windowsText(handwritten.rated.r)}; ordergate ${windowsText(oneRated.r)}.`,
        `Absolute figures move with the machine's phase (the echo alone has varied 2× within an hour on these 2-core VMs); the ratios are what the targets judge.`,
      ],
    };
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await env.drop();
  }
}
