import http from 'node:http';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  /** Builds request number `seq` (path, headers, body). */
  request(seq: number): { path: string; headers: Record<string, string>; body: string };
  connections: number;
  durationSec: number;
  /** Fixed offered rate (requests/s over all connections); closed loop at full speed when absent. */
  rate?: number;
  /** Stop after this many requests. */
  maxRequests?: number;
}

export interface LoadResult {
  sent: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  /** 2xx answers per second. */
  okPerSec: number;
  /** Latency of each answered request, send → response, in ms. */
  p50: number;
  p99: number;
  max: number;
  /** autocannon's own p99 (whole ms; corrected for coordinated omission when a rate is set). */
  autocannonP99: number;
  statusCounts: Record<string, number>;
  /** Every latency, sorted (for merging runs). */
  samples: Float64Array;
  /**
   * Open loop only: where the slowest 1% of requests were sent, as the 100 ms windows of the run holding
   * them (seconds from the start, and how many), busiest first. A few crowded windows mean the tail is a
   * few stalls (a garbage collection, a database hiccup), not slowness spread over the run.
   */
  slowWindows?: { atSec: number; count: number }[];
}

/** The 100 ms windows of send time holding the requests at or above the p99, busiest first (at most 6). */
export function slowWindows(sentAtMs: readonly number[], latencies: readonly number[], p99: number) {
  const windows = new Map<number, number>();
  latencies.forEach((latency, i) => {
    if (latency < p99) return;
    const window = Math.floor((sentAtMs[i] ?? 0) / 100);
    windows.set(window, (windows.get(window) ?? 0) + 1);
  });
  return [...windows]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([window, count]) => ({ atSec: window / 10, count }));
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * Runs autocannon in this process (the load generator), keyed on a request builder so every request is a
 * unique order. Latencies are recorded from autocannon's per-response timings (sub-millisecond).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let seq = 0;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const statusCounts: Record<string, number> = {};
  let finish: (value: autocannon.Result) => void = () => {};
  let fail: (err: unknown) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      duration: options.durationSec,
      ...(options.rate ? { overallRate: options.rate } : {}),
      ...(options.maxRequests ? { amount: options.maxRequests } : {}),
      pipelining: 1,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const r = options.request(seq++);
            return { ...req, method: 'POST', path: r.path, headers: r.headers, body: r.body };
          },
        },
      ],
    },
    (err, result) => (err ? fail(err) : finish(result)),
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
    const key = String(statusCode);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
  });
  const result = await done;
  const sorted = latencies.slice(0, count).sort();
  const ok2xx = result['2xx'];
  return {
    sent: seq,
    ok2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    okPerSec: ok2xx / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    autocannonP99: result.latency.p99,
    statusCounts,
    samples: sorted,
  };
}

/**
 * Closed loop against several servers at once (one autocannon instance per URL, the connections split
 * between them, one request sequence shared), merged into one result.
 */
export async function runLoadSpread(urls: string[], options: Omit<LoadOptions, 'url'>): Promise<LoadResult> {
  let seq = 0;
  const request = () => options.request(seq++);
  const parts = await Promise.all(
    urls.map((url) =>
      runLoad({
        ...options,
        url,
        request,
        connections: Math.max(1, Math.round(options.connections / urls.length)),
      }),
    ),
  );
  const samples = new Float64Array(parts.reduce((n, p) => n + p.samples.length, 0));
  let offset = 0;
  for (const p of parts) {
    samples.set(p.samples, offset);
    offset += p.samples.length;
  }
  samples.sort();
  const statusCounts: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  }
  const sum = (f: (p: LoadResult) => number) => parts.reduce((n, p) => n + f(p), 0);
  return {
    sent: seq,
    ok2xx: sum((p) => p.ok2xx),
    non2xx: sum((p) => p.non2xx),
    errors: sum((p) => p.errors),
    timeouts: sum((p) => p.timeouts),
    durationSec: Math.max(...parts.map((p) => p.durationSec)),
    okPerSec: sum((p) => p.okPerSec),
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples[samples.length - 1] ?? Number.NaN,
    autocannonP99: Math.max(...parts.map((p) => p.autocannonP99)),
    statusCounts,
    samples,
  };
}

/**
 * Open-loop load at a fixed rate, evenly spaced (a tick every 2 ms sends its share), over keep-alive
 * connections of a node:http Agent. autocannon's `overallRate` releases each second's quota in a burst at the
 * start of the second, which measures its own bursts; here each request's latency runs from the moment it
 * was due to be sent (so a stalled server cannot hide queued requests: no coordinated omission).
 */
export async function runOpenLoop(
  options: LoadOptions & { rate: number; urls?: string[] },
): Promise<LoadResult> {
  const targets = (options.urls ?? [options.url]).map((u) => new URL(u));
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const sentAt: number[] = [];
  const statusCounts: Record<string, number> = {};
  let sent = 0;
  let ok2xx = 0;
  let errors = 0;
  let inFlight = 0;
  let drained: () => void = () => {};
  const settle = () => {
    inFlight--;
    if (inFlight === 0) drained();
  };
  const send = (due: number) => {
    const target = targets[sent % targets.length] ?? targets[0];
    const r = options.request(sent++);
    inFlight++;
    if (!target) throw new Error('no target');
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: r.path,
        method: 'POST',
        headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body) },
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - due);
          sentAt.push(due - started);
          const key = String(res.statusCode);
          statusCounts[key] = (statusCounts[key] ?? 0) + 1;
          if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) ok2xx++;
          settle();
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      errors++;
      settle();
    });
    req.end(r.body);
  };
  const started = performance.now();
  const end = started + options.durationSec * 1000;
  const interval = 1000 / options.rate;
  let next = started;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        send(next);
        next += interval;
      }
      if (next >= end) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    sent,
    ok2xx,
    non2xx: latencies.length - ok2xx,
    errors,
    timeouts: 0,
    durationSec: seconds,
    okPerSec: ok2xx / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    autocannonP99: Number.NaN,
    statusCounts,
    samples: sorted,
    slowWindows: slowWindows(sentAt, latencies, percentile(sorted, 99)),
  };
}
