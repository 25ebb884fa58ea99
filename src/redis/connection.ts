import { type ChildProcess, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { freePort } from '../lib/net.js';

/** Thrown when no Redis is configured, none answers locally and none can be launched. Message is one line. */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

export interface ResolvedRedis {
  url: string;
  /** True when this process launched its own redis-server (and owns stopping it). */
  embedded: boolean;
  stop(): Promise<void>;
}

export interface ResolveRedisOptions {
  redisUrl?: string;
  dataDir: string;
  logger: Logger;
  probeHost?: string;
  probePort?: number;
  /** Explicit redis-server binary; by default it is looked up on PATH. */
  redisServerPath?: string;
  /** How long a launched redis-server may take to answer PING. */
  startTimeoutMs?: number;
}

const DEFAULT_PROBE_HOST = '127.0.0.1';
const DEFAULT_PROBE_PORT = 6379;
const PROBE_TIMEOUT_MS = 500;
const DEFAULT_START_TIMEOUT_MS = 5_000;
/** A server replaying a large AOF answers -LOADING; it is alive, so it gets this much longer. */
const LOADING_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
const INSTALL_HINT =
  'redis-server not found on PATH: install it (apt-get install redis-server / brew install redis) ' +
  'or set REDIS_URL to a running Redis';

/**
 * Picks the Redis to use: REDIS_URL if set, else a Redis already answering on 127.0.0.1:6379, else a
 * private redis-server (AOF on, data under `<dataDir>/redis`) that lives and dies with this process.
 */
export async function resolveRedis(opts: ResolveRedisOptions): Promise<ResolvedRedis> {
  const { logger } = opts;
  if (opts.redisUrl) {
    logger.info('redis: using REDIS_URL');
    return { url: opts.redisUrl, embedded: false, stop: async () => {} };
  }

  const host = opts.probeHost ?? DEFAULT_PROBE_HOST;
  const port = opts.probePort ?? DEFAULT_PROBE_PORT;
  if ((await pingRedis(host, port, PROBE_TIMEOUT_MS)) === 'pong') {
    logger.info({ host, port }, 'redis: using the local server');
    return { url: `redis://${formatHost(host)}:${port}`, embedded: false, stop: async () => {} };
  }

  const binary = opts.redisServerPath ?? (await findOnPath('redis-server'));
  if (binary === undefined || !(await isExecutable(binary))) {
    throw new RedisUnavailableError(INSTALL_HINT);
  }
  return launchRedisServer(binary, path.resolve(opts.dataDir, 'redis'), logger, opts.startTimeoutMs);
}

/**
 * ioredis connection tuned for its role. Workers block on BRPOPLPUSH-style commands and must retry forever
 * (BullMQ requires `maxRetriesPerRequest: null`); producers fail fast so an enqueue errors out when Redis
 * is down instead of hanging the request that is waiting for it.
 */
export function createRedisConnection(
  url: string,
  opts: { forWorker?: boolean; lazyConnect?: boolean } = {},
): Redis {
  const lazyConnect = opts.lazyConnect ?? false;
  if (opts.forWorker) {
    return new Redis(url, { maxRetriesPerRequest: null, lazyConnect });
  }
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect });
}

/**
 * BullMQ keeps jobs as ordinary keys: an evicting policy silently drops queued work under memory pressure.
 * Returns the policy, or undefined when it cannot be read (managed Redis often disables CONFIG).
 */
export async function warnIfEvictingPolicy(redis: Redis, logger: Logger): Promise<string | undefined> {
  let policy: string | undefined;
  try {
    // A producer connection refuses commands until it is ready (no offline queue), so wait for that first.
    await untilReady(redis);
    const reply: unknown = await redis.config('GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string') policy = reply[1];
  } catch (err) {
    logger.info({ err }, 'redis: could not read maxmemory-policy (CONFIG unavailable?)');
    return undefined;
  }
  if (policy !== undefined && policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: policy },
      `redis maxmemory-policy is "${policy}", not "noeviction": queued jobs can be evicted under memory pressure`,
    );
  }
  return policy;
}

async function untilReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  if (redis.status === 'wait') {
    await redis.connect();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('redis connection ended before it was ready'));
    const timer = setTimeout(() => done(new Error(`redis not ready within ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

type PingResult = 'pong' | 'loading' | 'other' | 'unreachable';

/** One raw PING over a fresh socket, so probing needs no client library state and never retries. */
function pingRedis(host: string, port: number, timeoutMs: number): Promise<PingResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffered = '';
    let settled = false;
    const finish = (result: PingResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('unreachable'), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (!buffered.includes('\r\n')) return;
      if (buffered.startsWith('+PONG')) finish('pong');
      else if (buffered.startsWith('-LOADING')) finish('loading');
      else finish('other');
    });
    socket.once('error', () => finish('unreachable'));
    socket.once('close', () => finish('unreachable'));
  });
}

async function launchRedisServer(
  binary: string,
  dir: string,
  logger: Logger,
  startTimeoutMs = DEFAULT_START_TIMEOUT_MS,
): Promise<ResolvedRedis> {
  await mkdir(dir, { recursive: true });
  const pidFile = path.join(dir, 'redis.pid');
  const logFile = path.join(dir, 'redis.log');
  // Two servers appending to one AOF directory corrupt it: clear out one orphaned by a killed parent.
  await stopOrphan(pidFile, logger);

  const port = await freePort();
  const args = [
    '--appendonly',
    'yes',
    '--dir',
    dir,
    '--save',
    '',
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--pidfile',
    pidFile,
    '--logfile',
    logFile,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
    exited = true;
  });

  // 'exit' handlers must be synchronous; a signal is, and SIGTERM makes redis fsync the AOF and exit.
  const killOnExit = () => {
    if (!exited) child.kill('SIGTERM');
  };
  process.on('exit', killOnExit);
  // The child must not keep the parent alive on its own; killOnExit ends it when the parent goes.
  child.unref();
  unrefStream(child.stderr);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    if (!(await settlesWithin(exitedPromise, STOP_TIMEOUT_MS)) && !exited) {
      logger.warn({ pid: child.pid }, 'redis: private server ignored SIGTERM, killing it');
      child.kill('SIGKILL');
      await exitedPromise;
    }
  };

  const deadline = Date.now() + startTimeoutMs;
  const loadingDeadline = Date.now() + LOADING_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      process.off('exit', killOnExit);
      throw new RedisUnavailableError(
        `redis-server exited during startup (${describeExit(child, spawnError)}): ${await failureDetail(stderr, logFile)}`,
      );
    }
    const result = await pingRedis('127.0.0.1', port, PROBE_TIMEOUT_MS);
    if (result === 'pong') break;
    const now = Date.now();
    if (now > (result === 'loading' ? loadingDeadline : deadline)) {
      await stop();
      throw new RedisUnavailableError(
        `redis-server did not answer PING on 127.0.0.1:${port} within ${startTimeoutMs} ms: ${await failureDetail(stderr, logFile)}`,
      );
    }
    await delay(50);
  }

  logger.info({ port, dir, pid: child.pid }, 'redis: started a private redis-server');
  return { url: `redis://127.0.0.1:${port}`, embedded: true, stop };
}

async function stopOrphan(pidFile: string, logger: Logger): Promise<void> {
  const raw = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (raw === undefined) return;
  const pid = Number.parseInt(raw.trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    // Only signal what is provably a redis-server: the pid may have been reused since.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('redis-server')) {
      logger.warn({ pid, pidFile }, 'redis: stale pid file names a process that is not redis-server');
    } else {
      logger.warn({ pid }, 'redis: stopping an orphaned private redis-server from a previous run');
      process.kill(pid, 'SIGTERM');
      const until = Date.now() + STOP_TIMEOUT_MS;
      while (isAlive(pid) && Date.now() < until) await delay(50);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function findOnPath(command: string): Promise<string | undefined> {
  for (const entry of (process.env.PATH ?? '').split(path.delimiter)) {
    if (entry === '') continue;
    const candidate = path.join(entry, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function unrefStream(stream: NodeJS.ReadableStream | null): void {
  // At runtime a child's pipe is a net.Socket; unref keeps it from holding the event loop open.
  if (stream instanceof net.Socket) stream.unref();
}

function describeExit(child: ChildProcess, spawnError: Error | undefined): string {
  if (spawnError) return spawnError.message;
  if (child.signalCode) return `signal ${child.signalCode}`;
  return `code ${child.exitCode ?? 'unknown'}`;
}

/** The last meaningful output, flattened to one line so callers can print it as is. */
async function failureDetail(stderr: string, logFile: string): Promise<string> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const lines = `${stderr}\n${log}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.slice(-5).join(' | ') || 'no output';
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Whether the promise settles within ms; the timer is cleared so it never holds the process open. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
