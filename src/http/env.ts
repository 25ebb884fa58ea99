import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { IngestInput, IngestResult } from '../inbox/ingest.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Queues } from '../queues/index.js';

/** Per-request values set by the gateway's middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
  };
}

/** What routes may use. Routes never touch business tables directly for writes: they hand events to ingest. */
export interface GatewayDeps {
  config: Config;
  db: Db;
  queues: Queues;
  /** The process's Redis producer connection: limits and counters shared by every process. */
  redis: Redis;
  logger: Logger;
  ingest(input: IngestInput): Promise<IngestResult>;
  /** Prometheus metrics of this process (`GET /admin/metrics`). */
  metrics?: Metrics;
  /** Checks used by /readyz. */
  checkDatabase(): Promise<void>;
  checkRedis(): Promise<void>;
}

/** What integration route files get: the gateway deps plus the admin guard for their admin endpoints. */
export interface RouteDeps extends GatewayDeps {
  requireAdmin: MiddlewareHandler<AppEnv>;
}
