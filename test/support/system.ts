import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.js';
import { type DatabaseHandle, type Db, migrateToLatest, openDatabase } from '../../src/db/index.js';
import { tokenFingerprint } from '../../src/gateway/auth.js';
import { createLogger } from '../../src/lib/logger.js';
import { type RunningProcess, startProcess } from '../../src/process.js';
import { createRedisConnection, resolveRedis } from '../../src/redis/connection.js';

/**
 * Test isolation. With DATABASE_URL set (CI), every test database is a fresh database created on that server
 * and dropped afterwards; without it, the product's own default: an embedded PGlite. Redis is REDIS_URL, else
 * the product's resolution (local server, else a private redis-server); every system gets its own queue prefix.
 */
export const usingPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  /** Set when the database lives on a Postgres server. */
  url?: string;
  handle: DatabaseHandle;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

/** A fresh, migrated database: a new database on the Postgres server, or an in-memory PGlite. */
export async function createTestDatabase(
  kind: 'pg' | 'pglite' = usingPostgres ? 'pg' : 'pglite',
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ dataDir: '', inMemory: true });
    await migrateToLatest(handle.db);
    return { handle, drop: () => handle.close() };
  }
  const name = `og_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '' });
  await migrateToLatest(handle.db);
  return {
    url: url.toString(),
    handle,
    drop: async () => {
      await handle.close();
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The timeline's actor for a request made with TEST_ADMIN_TOKEN: its role and fingerprint. */
export const TEST_ADMIN_ACTOR = `admin:admin:${tokenFingerprint(TEST_ADMIN_TOKEN)}`;

export interface TestSystem {
  baseUrl: string;
  config: Config;
  process: RunningProcess;
  /** The database the running process uses. */
  readonly db: Db;
  /** fetch against the gateway with the admin token. */
  admin(pathname: string, init?: RequestInit): Promise<Response>;
  /** Stop the process (graceful) without dropping the database or queues: for restart tests. */
  stopProcess(): Promise<void>;
  /** Start the process again on the same database and queues. */
  restart(overrides?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  web?: boolean;
  worker?: boolean;
  env?: Record<string, string>;
}

/** The whole product (gateway and/or workers) on a fresh database and queue prefix. */
export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  // On Postgres: a fresh database. On PGlite: the process opens its own embedded database in a temp
  // DATA_DIR (PGlite is one in-process connection; reach it through `system.db`).
  const database = usingPostgres ? await createTestDatabase('pg') : undefined;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordergate-test-'));
  const prefix = `{og-test-${randomUUID().slice(0, 8)}}`;
  const makeConfig = (overrides: Record<string, string> = {}) =>
    loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATA_DIR: dataDir,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      QUEUE_PREFIX: prefix,
      BACKOFF_BASE_MS: '50',
      SWEEP_AFTER_MS: '500',
      SWEEP_INTERVAL_MS: '300',
      OUTBOX_POLL_MS: '50',
      // Fuzz and auth suites send wrong credentials on purpose, hundreds of times from one address: the per-IP
      // limiter would lock them out. test/security/responses-and-limits.test.ts turns it on.
      AUTH_FAILURE_LIMIT: '0',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...options.env,
      ...overrides,
    });
  let config = makeConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const roles = { web: options.web ?? true, worker: options.worker ?? true };
  let running = await startProcess(config, logger, roles);
  let stopped = false;
  const system: TestSystem = {
    get baseUrl() {
      return `http://127.0.0.1:${running.port ?? 0}`;
    },
    get config() {
      return config;
    },
    get process() {
      return running;
    },
    get db() {
      return running.services.database.db;
    },
    admin: (pathname, init = {}) =>
      fetch(`${system.baseUrl}${pathname}`, {
        ...init,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(init.headers ?? {}) },
      }),
    stopProcess: async () => {
      if (stopped) return;
      stopped = true;
      await running.stop();
    },
    restart: async (overrides) => {
      if (!stopped) await running.stop();
      config = makeConfig(overrides);
      running = await startProcess(config, logger, roles);
      stopped = false;
    },
    stop: async () => {
      if (!stopped) await running.stop();
      stopped = true;
      await clearQueues(config);
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return system;
}

/** Deletes every key under the system's queue prefix. */
export async function clearQueues(config: Config): Promise<void> {
  const redis = await resolveRedis({
    redisUrl: config.REDIS_URL,
    dataDir: config.DATA_DIR,
    logger: createLogger('silent'),
  });
  const connection = createRedisConnection(redis.url, { forWorker: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await connection.scan(cursor, 'MATCH', `${config.QUEUE_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await connection.del(...keys);
    } while (cursor !== '0');
  } finally {
    connection.disconnect();
    await redis.stop();
  }
}

/** Polls until `fn` returns a truthy value (returned) or the timeout passes (throws with the last value). */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `waitFor timed out; last value ${JSON.stringify(last)}${lastError ? `, last error ${String(lastError)}` : ''}`,
  );
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
