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
  cpuMeter,
  createBenchEnv,
  freePort,
  loadAverage,
  log,
  machineFacts,
  type Proc,
  procfileNodeArgs,
  startGateway,
  startNode,
} from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const ECHO_PATH = '/echo';

function row(name: string, r: LoadResult, cpu: Record<string, number>, server: string): (string | number)[] {
  return [
    name,
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

export async function ingestSection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const runId = newRunId();
  const env = await createBenchEnv('ingest');
  const procs: Proc[] = [];
  const connections = settings.connections;
  const duration = settings.durationSec;
  let route: Route = 'manual';
  try {
    // 1. The bare baseline: Hono JSON echo, same bodies, same load generator.
    const echoPort = await freePort();
    const echo = await startNode(
      'echo',
      'bench/echo-server.ts',
      { PORT: String(echoPort) },
      // The gateway's runtime flags, so the baseline differs from it only in the work per request.
      { port: echoPort, nodeArgs: procfileNodeArgs('web') },
    );
    procs.push(echo);
    const echoUrl = `http://127.0.0.1:${echoPort}`;
    // Decide the route first (from a gateway), so the echo gets the same body shape.
    const probeGateway = await startGateway(env);
    route = await pickRoute(`http://127.0.0.1:${probeGateway.port}`);
    await probeGateway.stop();
    log(`ingest: route ${route}`);
    const echoRequest = (seq: number): PushRequest => ({
      ...pushRequest(route, seq, runId),
      path: ECHO_PATH,
    });
    await runLoad({ url: echoUrl, request: echoRequest, connections, durationSec: settings.warmupSec });
    let meter = cpuMeter([{ name: 'echo', pid: echo.pid }]);
    const echoMax = await runLoad({ url: echoUrl, request: echoRequest, connections, durationSec: duration });
    const echoCpu = meter.stop();
    log(`ingest: echo ${fmt(echoMax.okPerSec)}/s`);
    meter = cpuMeter([{ name: 'echo', pid: echo.pid }]);
    const echoRated = await runOpenLoop({
      url: echoUrl,
      request: echoRequest,
      connections,
      durationSec: duration,
      rate: settings.ingestRate,
    });
    const echoRatedCpu = meter.stop();
    await echo.stop();

    // 2. Our path: the gateway process (web role only: no workers competing for the cores).
    const results: { name: string; r: LoadResult; cpu: Record<string, number> }[] = [];
    let seqBase = 1_000_000;
    const ourRuns: { name: string; extra: Record<string, string>; rate?: number; gateways?: number }[] = [
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
      ourRuns.push(
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
      ourRuns.push({
        name: `ordergate ${route} push, max, group commit OFF`,
        extra: { INGEST_BATCH_MAX: '1' },
      });
    }
    let gateways: Proc[] = [];
    let gatewayKey = '';
    let accepted = 0;
    const urls = () => gateways.map((g) => `http://127.0.0.1:${g.port}`);
    for (const run of ourRuns) {
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

    // 3. Every 2xx is a row in Postgres and a job in Redis.
    const prefix = externalIdPattern(route, runId);
    const stored = await env.handle.db
      .selectFrom('inbound_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('external_order_id', 'like', prefix)
      .executeTakeFirstOrThrow();
    const jobs = await env.redis.llen(`${env.queuePrefix}:inbox:wait`);

    // Each target is shown for 1 and for N gateway processes; a verdict is "met" when one of them meets it.
    const configs = [{ name: '1 gateway process', max: results[0], rated: results[1] }];
    if (settings.ingestGateways > 1) {
      configs.push({
        name: `${settings.ingestGateways} gateway processes`,
        max: results[2],
        rated: results[3],
      });
    }
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
        'Processes: the load generator (autocannon, in the bench process), the server under test (its own node process: the echo, or `src/web.ts` with the web role only), Postgres and Redis share the 2 cores; CPU columns are shares of one core (100% = one core busy).',
        `Max: autocannon closed loop, ${connections} keep-alive connections for ${duration} s after ${settings.warmupSec} s of warm-up; latency send → response per request (plus autocannon's own histogram, whole ms).`,
        `Rated: an open-loop generator in the bench process (node:http keep-alive agent, up to ${connections} connections) sends ${fmt(settings.ingestRate)} requests/s evenly spaced (autocannon's rate limit releases each second's quota as a burst); latency runs from the moment each request was due, so queueing is included (no coordinated omission).`,
      ],
      tables: [
        {
          title: 'Accepted pushes (closed loop and at a fixed offered rate)',
          headers,
          rows: [
            row('bare Hono JSON echo, max', echoMax, echoCpu, 'echo'),
            row(
              `bare Hono JSON echo @ ${fmt(settings.ingestRate)}/s offered`,
              echoRated,
              echoRatedCpu,
              'echo',
            ),
            ...results.map((x) => row(x.name, x.r, x.cpu, 'gateway')),
          ],
        },
        {
          title: 'Every 2xx stored and enqueued',
          headers: ['2xx answered (incl. warm-up)', 'inbox rows', 'inbox jobs waiting in Redis'],
          rows: [[fmt(accepted), fmt(stored.n), fmt(jobs)]],
        },
      ],
      targets: [
        {
          target: '≥ 5,000 accepted pushes/s',
          measured: configs.map((c) => `${c.name}: ${fmt(c.max?.r.okPerSec ?? 0)}/s`).join('; '),
          met: configs.some((c) => (c.max?.r.okPerSec ?? 0) >= 5000),
        },
        {
          target: '≥ 35% of the bare echo',
          measured: configs
            .map((c) => `${c.name}: ${fmt(((c.max?.r.okPerSec ?? 0) / echoMax.okPerSec) * 100, 1)}%`)
            .join('; '),
          met: configs.some((c) => (c.max?.r.okPerSec ?? 0) / echoMax.okPerSec >= 0.35),
        },
        {
          target: `p99 ≤ 20 ms at ${fmt(settings.ingestRate)}/s offered`,
          measured: `${configs
            .map(
              (c) =>
                `${c.name}: p50 ${fmt(c.rated?.r.p50 ?? Number.NaN, 2)} ms, p99 ${fmt(c.rated?.r.p99 ?? Number.NaN, 2)} ms`,
            )
            .join('; ')} (bare echo at the same rate: p99 ${fmt(echoRated.p99, 2)} ms)`,
          met: configs.some((c) => (c.rated?.r.p99 ?? Number.POSITIVE_INFINITY) <= 20),
        },
        {
          target:
            'every 2xx is stored and enqueued (rows and jobs ≥ 2xx; the surplus is requests in flight when a timed run ended)',
          measured: `${fmt(accepted)} 2xx, ${fmt(stored.n)} rows, ${fmt(jobs)} jobs`,
          met: Number(stored.n) >= accepted && jobs >= accepted,
        },
      ],
      notes: [],
    };
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await env.drop();
  }
}
