import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/**
 * A redis-server of the chaos suite's own, on a free port, without persistence: restarting it loses every
 * key, like a Redis that crashed without AOF/RDB. Other engineers' Redis (6379) is never touched.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL and start again on the same port: all data gone. */
  restartLosingData(): Promise<void>;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

export async function startPrivateRedis(port: number): Promise<PrivateRedis> {
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server on ${port} did not start`);
      await sleep(50);
    }
  };
  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    restartLosingData: async () => {
      await kill();
      await launch();
    },
    stop: kill,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small deterministic PRNG (mulberry32) so a failing run can be repeated with its CHAOS_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface PushOutcome {
  /** 2xx status, or the last status / error when the client gave up. */
  status: number;
  acknowledged: boolean;
  eventId?: string;
  duplicate?: boolean;
  /** HTTP attempts, including retries after 5xx, 408/429 and connection errors. */
  attempts: number;
  lastError?: string;
}

/**
 * Sends one push like a provider does: retries on 5xx, 408, 429 and connection errors (with capped backoff)
 * until a 2xx, a definitive 4xx or the deadline. Only a 2xx counts as acknowledged.
 */
export async function pushWithRetries(
  url: string,
  headers: Record<string, string>,
  raw: string,
  deadline: number,
): Promise<PushOutcome> {
  let attempts = 0;
  let lastStatus = 0;
  let lastError: string | undefined;
  while (Date.now() < deadline) {
    attempts++;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: raw,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      lastStatus = res.status;
      if (res.status >= 200 && res.status < 300) {
        const body = JSON.parse(text) as { eventId: string; duplicate?: boolean };
        return {
          status: res.status,
          acknowledged: true,
          eventId: body.eventId,
          duplicate: body.duplicate === true,
          attempts,
        };
      }
      lastError = text.slice(0, 200);
      if (res.status < 500 && res.status !== 408 && res.status !== 429) {
        return { status: res.status, acknowledged: false, attempts, lastError };
      }
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    await sleep(Math.min(2000, 100 * 2 ** Math.min(attempts, 5)) * (0.5 + Math.random() / 2));
  }
  return { status: lastStatus, acknowledged: false, attempts, ...(lastError ? { lastError } : {}) };
}

/** Renders rows as a fixed-width text table. */
export function table(rows: Record<string, string | number>[]): string {
  const first = rows[0];
  if (!first) return '(empty)';
  const columns = Object.keys(first);
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(width(columns[i] ?? ''))).join(' | ');
  return [
    line(columns),
    columns.map((c) => '-'.repeat(width(c))).join('-|-'),
    ...rows.map((r) => line(columns.map((c) => String(r[c] ?? '')))),
  ].join('\n');
}
