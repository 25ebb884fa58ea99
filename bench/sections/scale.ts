import { newRunId, pickRoute } from '../lib/bodies.js';
import { drainBacklog, externalIdPattern, pushBacklog, seedCatalogue } from '../lib/orders.js';
import { fmt, type SectionResult } from '../lib/report.js';
import { createBenchEnv, loadAverage, log, machineFacts, type Proc, startGateway } from '../lib/system.js';
import type { BenchSettings } from './settings.js';

const pct = (v: number | undefined) => `${fmt((v ?? 0) * 100)}%`;

export async function scaleSection(settings: BenchSettings): Promise<SectionResult> {
  const loadBefore = loadAverage();
  const machine = machineFacts();
  const env = await createBenchEnv('scale');
  const procs: Proc[] = [];
  const count = Math.max(2000, Math.round(settings.e2eOrders / 2));
  try {
    await seedCatalogue(env);
    let gateway = await startGateway(env);
    procs.push(gateway);
    const route = await pickRoute(`http://127.0.0.1:${gateway.port}`);
    const rows: (string | number)[][] = [];
    const rates: number[] = [];
    for (const workers of settings.scaleWorkers) {
      const runId = newRunId();
      if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) {
        gateway = await startGateway(env);
        procs.push(gateway);
      }
      await pushBacklog(`http://127.0.0.1:${gateway.port}`, route, runId, count, 0, settings.connections);
      // The gateway stops while the workers drain: its CPU and connections are not part of the measure.
      await gateway.stop();
      const drain = await drainBacklog(env, externalIdPattern(route, runId), workers);
      const rate = Number.isFinite(drain.steadyPerSec) ? drain.steadyPerSec : drain.ordersPerSec;
      rates.push(rate);
      const workerCpu = Array.from({ length: workers }, (_, i) => drain.cpu[`worker ${i + 1}`] ?? 0);
      rows.push([
        workers,
        fmt(rate),
        fmt(drain.ordersPerSec),
        workerCpu.map((c) => pct(c)).join(' + '),
        pct(workerCpu.reduce((a, b) => a + b, 0)),
        pct(drain.cpu.postgres),
        pct(drain.cpu.redis),
        pct(drain.cpu['whole machine']),
        fmt(drain.dead + drain.attention),
        fmt((workerCpu.reduce((a, b) => a + b, 0) / Math.max(1, drain.ordersPerSec)) * 1000, 2),
        fmt(((drain.cpu.postgres ?? 0) / Math.max(1, drain.ordersPerSec)) * 1000, 2),
      ]);
      log(`scale: ${workers} worker(s) ${fmt(rate)}/s, machine ${pct(drain.cpu['whole machine'])}`);
    }
    const base = rates[0] ?? 0;
    return {
      section: 'scale',
      title: 'Scale-out (worker processes on one Postgres and Redis)',
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      setup: [
        `For each count: ${fmt(count)} ${route} orders pushed while no worker runs, then N \`src/worker.ts\` processes (WORKER_CONCURRENCY=${process.env.WORKER_CONCURRENCY ?? 128} each) started together drain them. Rate = steady (10% → 90% of the backlog).`,
        'CPU is per process from /proc (100% = one core); "whole machine" is both cores (200% = saturated) and includes anything else running on the machine.',
      ],
      tables: [
        {
          title: 'Drain rate by worker processes',
          headers: [
            'workers',
            'orders/s (steady)',
            'orders/s (overall)',
            'CPU per worker',
            'workers total',
            'postgres CPU',
            'redis CPU',
            'whole machine',
            'dead/attention',
            'worker CPU ms/order',
            'postgres CPU ms/order',
          ],
          rows,
        },
      ],
      targets: [],
      notes: [
        `Scaling relative to 1 worker: ${rates.map((r, i) => `${settings.scaleWorkers[i]} → ×${fmt(base ? r / base : 0, 2)}`).join(', ')}.`,
      ],
    };
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await env.drop();
  }
}
