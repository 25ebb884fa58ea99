import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../src/db/index.js';
import { freePort } from '../../src/lib/net.js';
import { procfileCommands } from '../../src/lib/procfile.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/**
 * Debian's Postgres listens on a Unix socket beside 127.0.0.1:5432. A co-located deployment would use it, and
 * a round trip through it costs the gateway and the worker less CPU than one through loopback TCP (measured
 * in docs/benchmarks.md), so the bench uses it when it is there.
 */
const PG_SOCKET_DIR = '/var/run/postgresql';
export const PG_SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  (existsSync(path.join(PG_SOCKET_DIR, '.s.PGSQL.5432'))
    ? `postgres://postgres@localhost:5432/postgres?host=${PG_SOCKET_DIR}`
    : 'postgres://postgres@127.0.0.1:5432/postgres');
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
export const YS_MARKET_TOKEN = 'bench-ys-market-token-0123456789';
export const YS_SU_TOKEN = 'bench-ys-su-token-0123456789abcd';

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A dedicated database on the local Postgres and a unique queue prefix; `drop()` removes both. */
export interface BenchEnv {
  name: string;
  url: string;
  queuePrefix: string;
  handle: DatabaseHandle;
  redis: Redis;
  drop(): Promise<void>;
}

export async function createBenchEnv(label: string): Promise<BenchEnv> {
  const suffix = randomBytes(4).toString('hex');
  const name = `ordergate_bench_${label}_${suffix}`;
  const admin = new pg.Client({ connectionString: PG_SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolSize: 8 });
  await migrateToLatest(handle.db);
  const queuePrefix = `{ogbench-${label}-${suffix}}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  let dropped = false;
  return {
    name,
    url: url.toString(),
    queuePrefix,
    handle,
    redis,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      if (process.env.BENCH_KEEP === '1') {
        log(`BENCH_KEEP=1: keeping database ${name} and queue prefix ${queuePrefix}`);
        await handle.close().catch(() => {});
        redis.disconnect();
        return;
      }
      await handle.close().catch(() => {});
      await deleteRedisPrefix(redis, queuePrefix).catch((err: unknown) =>
        log(`redis cleanup: ${String(err)}`),
      );
      redis.disconnect();
      const client = new pg.Client({ connectionString: PG_SERVER_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export { freePort };

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  port?: number;
  output(): string;
  stop(): Promise<void>;
}

/** Extra node flags for every process under test, e.g. `BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`. */
function benchNodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** Starts a TypeScript entry point in its own node process (tsx loader), logging to a ring buffer. */
export async function startNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: { port?: number; ready?: RegExp; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<Proc> {
  const child = spawn(
    process.execPath,
    [...benchNodeArgs(), ...(options.nodeArgs ?? []), '--import', 'tsx', path.resolve(ROOT, entry)],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);
  const proc: Proc = {
    name,
    child,
    pid,
    ...(options.port !== undefined ? { port: options.port } : {}),
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start:\n${out.slice(-3000)}`);
    if (options.port !== undefined) {
      const ok = await fetch(`http://127.0.0.1:${options.port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    } else if (options.ready?.test(out)) break;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`${name} not ready in time:\n${out.slice(-3000)}`);
    }
    await sleep(100);
  }
  return proc;
}

/** The environment of an ordergate process against the bench database and queue prefix. */
export function productEnv(env: BenchEnv, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: env.url,
    REDIS_URL: REDIS_URL,
    QUEUE_PREFIX: env.queuePrefix,
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    YEMEKSEPETI_MARKET_TOKEN: YS_MARKET_TOKEN,
    YEMEKSEPETI_SU_TOKEN: YS_SU_TOKEN,
    // The sweeper must not re-enqueue a backlog the benchmark builds on purpose.
    SWEEP_AFTER_MS: String(3_600_000),
    ...extra,
  };
}

/**
 * The node flags the `Procfile` gives a role (`web: node --flag dist/src/web.js`), so the processes under
 * test run as they do in production.
 */
export function procfileNodeArgs(role: 'web' | 'worker'): string[] {
  const command = procfileCommands(ROOT)[role];
  if (!command) throw new Error(`Procfile has no ${role} line`);
  return command.filter((word) => word.startsWith('--'));
}

export async function startGateway(env: BenchEnv, extra: Record<string, string> = {}): Promise<Proc> {
  const port = await freePort();
  return startNode('gateway', 'src/web.ts', productEnv(env, { PORT: String(port), ...extra }), {
    port,
    nodeArgs: procfileNodeArgs('web'),
  });
}

export function startWorker(
  env: BenchEnv,
  extra: Record<string, string> = {},
  name = 'worker',
): Promise<Proc> {
  // info level only for the start-up line the bench waits for; the job path logs nothing at info.
  return startNode(name, 'src/worker.ts', productEnv(env, { LOG_LEVEL: 'info', ...extra }), {
    ready: /workers started/,
    nodeArgs: procfileNodeArgs('worker'),
  });
}

// ---- CPU and memory accounting from /proc -------------------------------------------------------------

const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds of every process whose command name matches (postgres backends, redis-server). */
export function cpuSecondsByComm(comm: RegExp): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm.test(name)) total += cpuSeconds(Number(entry));
    } catch {}
  }
  return total;
}

export interface CpuMeter {
  /** CPU share of one core (1.0 = one core busy) per named party since the meter started. */
  stop(): Record<string, number>;
}

export function cpuMeter(procs: { name: string; pid: number }[]): CpuMeter {
  const started = performance.now();
  const self = process.cpuUsage();
  const before = new Map(procs.map((p) => [p.name, cpuSeconds(p.pid)]));
  const pgBefore = cpuSecondsByComm(/^postgres$/);
  const redisBefore = cpuSecondsByComm(/^redis-server$/);
  const totalBefore = os.cpus().reduce((s, c) => s + c.times.user + c.times.sys + c.times.irq, 0);
  return {
    stop: () => {
      const seconds = (performance.now() - started) / 1000;
      const out: Record<string, number> = {};
      for (const p of procs) out[p.name] = (cpuSeconds(p.pid) - (before.get(p.name) ?? 0)) / seconds;
      const selfUsage = process.cpuUsage(self);
      out['load generator (bench process)'] = (selfUsage.user + selfUsage.system) / 1e6 / seconds;
      out.postgres = (cpuSecondsByComm(/^postgres$/) - pgBefore) / seconds;
      out.redis = (cpuSecondsByComm(/^redis-server$/) - redisBefore) / seconds;
      const totalAfter = os.cpus().reduce((s, c) => s + c.times.user + c.times.sys + c.times.irq, 0);
      out['whole machine'] = (totalAfter - totalBefore) / 1000 / seconds;
      return out;
    },
  };
}

// ---- machine facts ----------------------------------------------------------------------------------

export function machineFacts(): Record<string, string> {
  const run = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const mem = run('free', ['-h']).split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  return {
    date: new Date().toISOString(),
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memory: mem,
    node: process.version,
    postgres: `${run('psql', [PG_SERVER_URL, '-tAc', 'show server_version'])} (${
      new URL(PG_SERVER_URL).searchParams.get('host')?.startsWith('/') ? 'Unix socket' : 'TCP'
    })`,
    redis:
      run('redis-cli', ['-u', REDIS_URL, 'info', 'server']).match(/redis_version:(\S+)/)?.[1] ?? 'unknown',
    'load average': os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
