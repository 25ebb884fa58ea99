/** Knobs of one `npm run bench` run; every one has an environment variable so 100k-order runs are possible. */
export interface BenchSettings {
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** Offered rate for the ingestion latency target. */
  ingestRate: number;
  compareUnbatched: boolean;
  /** Also measure ingestion spread over this many gateway processes (1 = only one). */
  ingestGateways: number;
  /** Backlog drained by the end-to-end and scale-out sections. */
  e2eOrders: number;
  /** Offered rate for the end-to-end latency target. */
  e2eRate: number;
  /** Seconds at the offered rate before the timed end-to-end run: the fresh worker's warm-up. */
  e2eWarmupSec: number;
  /** Orders for the memory section (target: 100,000). */
  memoryOrders: number;
  /** Which memory measurements `memory` runs: the worker on Postgres, `npm start` embedded, or both. */
  memoryMode: 'worker' | 'embedded' | 'both';
  /** Orders pushed through `npm start` on embedded defaults (target: 10,000). */
  embeddedOrders: number;
  /** Memory section: also report the worker's heap after a full GC per chunk (`BENCH_HEAP_PROBE=1`). */
  heapProbe: boolean;
  /** Orders seeded for the query section (target: 1,000,000). */
  queryOrders: number;
  queryRepeats: number;
  /** Worker process counts for the scale-out section. */
  scaleWorkers: number[];
}

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

function memoryMode(raw: string | undefined): BenchSettings['memoryMode'] {
  if (raw === undefined || raw === '') return 'both';
  if (raw === 'worker' || raw === 'embedded' || raw === 'both') return raw;
  throw new Error('BENCH_MEMORY_MODE must be worker, embedded or both');
}

export function loadSettings(): BenchSettings {
  return {
    durationSec: num('BENCH_DURATION', 15),
    warmupSec: num('BENCH_WARMUP', 3),
    connections: num('BENCH_CONNECTIONS', 64),
    ingestRate: num('BENCH_INGEST_RATE', 2000),
    compareUnbatched: process.env.BENCH_COMPARE_UNBATCHED !== '0',
    ingestGateways: num('BENCH_INGEST_GATEWAYS', 2),
    e2eOrders: num('BENCH_E2E_ORDERS', 20_000),
    e2eRate: num('BENCH_E2E_RATE', 500),
    e2eWarmupSec: num('BENCH_E2E_WARMUP', 10),
    memoryOrders: num('BENCH_MEMORY_ORDERS', 100_000),
    memoryMode: memoryMode(process.env.BENCH_MEMORY_MODE),
    embeddedOrders: num('BENCH_EMBEDDED_ORDERS', 10_000),
    heapProbe: process.env.BENCH_HEAP_PROBE === '1',
    queryOrders: num('BENCH_QUERY_ORDERS', 1_000_000),
    queryRepeats: num('BENCH_QUERY_REPEATS', 40),
    scaleWorkers: (process.env.BENCH_SCALE_WORKERS ?? '1,2,3').split(',').map(Number),
  };
}
