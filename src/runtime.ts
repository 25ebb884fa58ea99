import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from './db/index.js';
import type { GatewayDeps } from './http/env.js';
import { createInboxBatcher } from './inbox/batcher.js';
import { type IngestInput, ingest } from './inbox/ingest.js';
import { onProviderCall } from './integrations/provider-calls.js';
import type { WorkerContext } from './integrations/types.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, endpointLabel, type Metrics } from './lib/metrics.js';
import { observeOrderMetrics, onOrderObservation } from './lib/order-metrics.js';
import { createQueues, type Queues } from './queues/index.js';
import {
  createRedisConnection,
  type ResolvedRedis,
  resolveRedis,
  warnIfEvictingPolicy,
} from './redis/connection.js';

/** The shared dependencies of every entry point, opened once and closed in reverse order. */
export interface Services {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redis: ResolvedRedis;
  /** Producer connection (fails fast when Redis is down). */
  producer: Redis;
  queues: Queues;
  ctx: WorkerContext;
  gatewayDeps: GatewayDeps;
  metrics: Metrics;
  /** A new connection for a BullMQ Worker. */
  workerConnection(): Redis;
  close(): Promise<void>;
}

export async function openServices(
  config: Config,
  logger: Logger,
  options: { migrate?: boolean } = {},
): Promise<Services> {
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const closers: (() => Promise<unknown>)[] = [() => database.close()];
  try {
    if (options.migrate !== false) {
      const applied = await migrateToLatest(database.db);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    logger.info({ database: database.kind }, 'database ready');
    const redis = await resolveRedis({ redisUrl: config.REDIS_URL, dataDir: config.DATA_DIR, logger });
    closers.unshift(() => redis.stop());
    const producer = createRedisConnection(redis.url);
    closers.unshift(() => producer.quit().catch(() => producer.disconnect()));
    await warnIfEvictingPolicy(producer, logger);
    const queues = createQueues(producer, config);
    // Without a listener BullMQ prints every lost connection to stderr; the producer reconnects by itself.
    for (const queue of queues.all()) {
      queue.on('error', (err) => logger.warn({ queue: queue.name, err: err.message }, 'redis error'));
    }
    closers.unshift(() => queues.close());
    const workerConnections: Redis[] = [];
    closers.unshift(async () => {
      await Promise.all(workerConnections.map((c) => c.quit().catch(() => c.disconnect())));
    });

    const db = database.db;
    const ingestDeps = { db, logger };
    const batcher =
      config.INGEST_BATCH_MAX > 1
        ? createInboxBatcher(ingestDeps, {
            maxBatch: config.INGEST_BATCH_MAX,
            maxInFlight: Math.max(1, config.INGEST_BATCH_IN_FLIGHT),
          })
        : undefined;
    const metrics = createMetrics();
    const boundIngest = async (input: IngestInput) => {
      const result = await ingest(batcher ? { ...ingestDeps, batcher } : ingestDeps, input);
      metrics.inboxReceived.inc({
        source: input.source,
        outcome: result.duplicate ? 'duplicate' : 'accepted',
      });
      return result;
    };
    const ctx: WorkerContext = { config, db, queues, logger, ingest: boundIngest };
    const stopProviderMetrics = onProviderCall((call) => {
      metrics.providerCalls.observe(
        {
          provider: call.provider,
          method: call.method,
          endpoint: endpointLabel(call.path),
          outcome: String(call.status),
        },
        call.durationMs / 1000,
      );
    });
    closers.unshift(async () => stopProviderMetrics());
    const stopOrderMetrics = onOrderObservation((o) => observeOrderMetrics(metrics, o));
    closers.unshift(async () => stopOrderMetrics());
    const gatewayDeps: GatewayDeps = {
      metrics,
      config,
      db,
      queues,
      redis: producer,
      logger,
      ingest: boundIngest,
      checkDatabase: async () => {
        await sql`select 1`.execute(db);
      },
      checkRedis: async () => {
        await producer.ping();
      },
    };
    return {
      config,
      logger,
      database,
      redis,
      producer,
      queues,
      ctx,
      gatewayDeps,
      metrics,
      workerConnection: () => {
        const connection = createRedisConnection(redis.url, { forWorker: true });
        workerConnections.push(connection);
        return connection;
      },
      close: async () => {
        for (const close of closers) await close().catch(() => {});
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => {});
    throw err;
  }
}

/**
 * ADMIN_TOKEN; else, when ADMIN_TOKENS names the admin API's tokens, none; else, outside production, a
 * generated one kept under DATA_DIR (so it survives restarts). The generated token is printed once, when it
 * is created; later starts only say where it is kept.
 */
export async function resolveAdminToken(config: Config, logger: Logger): Promise<string | undefined> {
  if (config.ADMIN_TOKEN) return config.ADMIN_TOKEN;
  if (config.ADMIN_TOKENS?.length) return undefined;
  if (config.NODE_ENV === 'production') throw new Error('ADMIN_TOKEN is required in production');
  const file = path.resolve(config.DATA_DIR, 'admin-token');
  let token = await readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (token.length < 32) {
    token = randomBytes(32).toString('base64url');
    await mkdir(config.DATA_DIR, { recursive: true });
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    process.stdout.write(
      `\nADMIN_TOKEN was not set; generated an admin token, kept in ${file}:\n  ${token}\n\n`,
    );
    logger.info({ file }, 'generated an admin token');
  } else {
    logger.info({ file }, `ADMIN_TOKEN is not set; using the generated admin token kept in ${file}`);
  }
  return token;
}
