import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { integrationEnvProblems, integrationEnvShape } from './integrations/env.js';
import { optionalEnv } from './lib/env.js';
import { parseRoleTokens } from './lib/roles.js';
import { secretProblems } from './secrets.js';

const optionalUrl = optionalEnv(z.url());

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /**
   * A worker-only process (Procfile `worker`) serves `GET /metrics` (admin token) and `GET /health` on this
   * port; unset = no HTTP at all. Processes with the gateway ignore it: they have `/admin/metrics`.
   */
  WORKER_METRICS_PORT: optionalEnv(z.coerce.number<string>().int().min(0).max(65535)),
  /** Bind address of the worker metrics server: loopback unless a scraper on another host needs it. */
  WORKER_METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default('.data'),
  /** Trimmed like every secret (a value read from a file ends in a newline); blank = unset. */
  ADMIN_TOKEN: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /** The admin token's next value during a rotation: both are accepted until ADMIN_TOKEN takes its place. */
  ADMIN_TOKEN_NEXT: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /**
   * More admin API tokens with a role each: `token:role,token:role` (viewer, operator, admin). To rotate one,
   * list the old and the new token with the same role, then drop the old.
   */
  ADMIN_TOKENS: optionalEnv(
    z.string().transform((value, ctx) => {
      const { tokens, problems } = parseRoleTokens(value);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return tokens;
    }),
  ),
  /** Prometheus' own token: it reads `/admin/metrics` (and a worker's `/metrics`) and nothing else. */
  METRICS_TOKEN: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  METRICS_TOKEN_NEXT: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /**
   * A signed provider notification older than this (by its own signed timestamp) is stored for attention, not
   * applied: replaying a captured notification later changes nothing. 0 = no limit.
   */
  NOTIFICATION_MAX_AGE_MS: intFromEnv(24 * 3600_000),
  /** Failed authentications one client address may make per AUTH_FAILURE_WINDOW_MS (0 = no limit). */
  AUTH_FAILURE_LIMIT: intFromEnv(20),
  AUTH_FAILURE_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  /** Lifetime of an operator's browser session (`POST /auth/session`). */
  SESSION_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(8 * 3600_000),
  /**
   * Origins (scheme://host[:port], comma-separated) besides the gateway's own host that may send state-changing
   * browser requests to the admin API: an operator console served from another host.
   */
  ADMIN_ORIGINS: optionalEnv(
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url().transform((u) => new URL(u).origin))),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * BullMQ key prefix; the braces make it a Redis Cluster hash tag. Unset: see `defaultQueuePrefix` (two
   * checkouts in development on one machine's Redis get their own queues).
   */
  QUEUE_PREFIX: optionalEnv(z.string().min(1)),
  WORKER_CONCURRENCY: intFromEnv(128),
  /**
   * BullMQ workers taking inbox jobs in one process, sharing its WORKER_CONCURRENCY and its batches. A worker
   * fetches one job per Redis round trip, one after the other; under load one loop falls behind the pushes.
   */
  INBOX_FETCHERS: intFromEnv(2),
  INBOX_ATTEMPTS: intFromEnv(8),
  OUTBOUND_ATTEMPTS: intFromEnv(10),
  BACKOFF_BASE_MS: intFromEnv(1000),
  /** How old an unprocessed inbox row must be before the sweeper re-enqueues it. */
  SWEEP_AFTER_MS: intFromEnv(30_000),
  SWEEP_INTERVAL_MS: intFromEnv(15_000),
  OUTBOX_POLL_MS: intFromEnv(1000),
  SHUTDOWN_TIMEOUT_MS: intFromEnv(25_000),
  /**
   * BullMQ job lock, its renewal and the stalled-job check. A job whose worker died (SIGKILL, OOM) goes back
   * to the queue at the first check after its lock has expired, so a replacement worker picks it up within
   * about lock + interval of the death. The lock is renewed every WORKER_LOCK_RENEW_MS while the job runs:
   * a worker whose event loop is blocked for longer than lock − renewal loses its jobs to another worker and
   * they run twice (idempotent, but wasted). Under full load on a 2-core machine at load average 15 the
   * worker's event loop stalled for at most 2 s; 8 s / 2 s leave three times that.
   */
  WORKER_LOCK_MS: intFromEnv(8_000),
  WORKER_LOCK_RENEW_MS: intFromEnv(2_000),
  WORKER_STALLED_INTERVAL_MS: intFromEnv(2_000),
  /**
   * How many times a job may go back to the queue because its worker died or lost its lock before BullMQ
   * fails it ("job stalled more than allowable limit", and the sweeper settles its event as dead). Handlers
   * are idempotent, so a job caught by several crashes in a row is simply run again; a job that itself kills
   * the worker (out of memory on a huge payload) stops after this many restarts instead of crash-looping.
   */
  WORKER_MAX_STALLED_COUNT: intFromEnv(5),
  /** Cron pattern of the scheduled reconciliation run (UTC). */
  RECONCILE_CRON: z.string().min(9).default('*/15 * * * *'),
  /** How far back the first (or a long-delayed) reconciliation run looks. */
  RECONCILE_WINDOW_MS: intFromEnv(2 * 3600_000),
  /**
   * Stuck-order thresholds per channel and state, over the channels' own and the defaults:
   * `channel:state=duration,…` (`*` for every channel; durations like 90s, 15m, 2h, 3d).
   */
  RECONCILE_STUCK_AFTER: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const parsed = parseStuckAfter(value);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  /** A paid order still `pending` after this is reported (paid but not confirmed). */
  RECONCILE_PAID_UNCONFIRMED_MS: intFromEnv(15 * 60_000),
  /** A run still `running` after this is taken to be dead (its process crashed) and the next run takes over. */
  RECONCILE_RUN_TIMEOUT_MS: intFromEnv(30 * 60_000),
  /** Inbox rows, processed outbox messages and finished reconciliation runs are kept this many days. */
  RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /** Cron pattern of the pruning job (UTC). */
  RETENTION_CRON: z.string().min(9).default('17 * * * *'),
  /** Rows deleted per statement by the pruning job: small, so no statement holds locks for long. */
  RETENTION_BATCH: z.coerce.number().int().min(1).max(50_000).default(1000),
  BODY_LIMIT_BYTES: intFromEnv(1024 * 1024),
  /**
   * Largest body of a signed provider webhook (read before its signature is checked, so kept small). 512 KiB
   * holds a 500-line order with room to spare.
   */
  WEBHOOK_BODY_LIMIT_BYTES: intFromEnv(512 * 1024),
  /** A request (headers and body) must arrive within this; slow or stalled clients get 408 and are dropped. */
  REQUEST_TIMEOUT_MS: intFromEnv(30_000),
  /** The headers must arrive within this (capped at REQUEST_TIMEOUT_MS). */
  HEADERS_TIMEOUT_MS: intFromEnv(10_000),
  KEEP_ALIVE_TIMEOUT_MS: intFromEnv(5_000),
  /** A connection that has not sent a request within this is closed (0 = never). */
  FIRST_REQUEST_TIMEOUT_MS: intFromEnv(30_000),
  /** Most open connections per process (0 = no cap); more are closed as they are accepted. */
  MAX_CONNECTIONS: intFromEnv(4096),
  /**
   * Postgres connections per process (pg only). A worker's inbox batches hold two at a time (four while they
   * read ahead); outbound calls hold one each while they settle.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(20),
  /** Inbox group commit: most events per insert (1 turns batching off). */
  INGEST_BATCH_MAX: intFromEnv(128),
  /** Inbox group commit: most batch inserts running at once. */
  INGEST_BATCH_IN_FLIGHT: intFromEnv(2),
  ...integrationEnvShape,
});

export type Config = Omit<z.infer<typeof configSchema>, 'QUEUE_PREFIX'> & { QUEUE_PREFIX: string };

export const SHARED_QUEUE_PREFIX = '{ordergate}';

/**
 * The queue prefix when QUEUE_PREFIX is unset. With REDIS_URL, or outside development, every process of one
 * deployment shares `{ordergate}`. In development without REDIS_URL the Redis is whatever answers on
 * 127.0.0.1:6379, which two checkouts on one machine would share, and one's workers would take the other's
 * jobs (an event of one database processed against the other): there the prefix is derived from the data
 * directory's absolute path, which is what tells two checkouts apart.
 */
export function defaultQueuePrefix(env: Pick<Config, 'NODE_ENV' | 'REDIS_URL' | 'DATA_DIR'>): string {
  if (env.REDIS_URL || env.NODE_ENV !== 'development') return SHARED_QUEUE_PREFIX;
  const dataDir = path.resolve(env.DATA_DIR);
  return `{ordergate-${createHash('sha256').update(dataDir).digest('hex').slice(0, 10)}}`;
}

const stuckStates = ['pending', 'confirmed', 'processing', 'shipped'] as const;
const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface StuckThreshold {
  /** A channel, or `*` for every channel. */
  channel: string;
  status: (typeof stuckStates)[number];
  ms: number;
}

/** `channel:state=duration,…` → thresholds, or a message saying what is wrong. */
export function parseStuckAfter(value: string): StuckThreshold[] | string {
  const out: StuckThreshold[] = [];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([\w.*-]+):(\w+)=(\d+)(ms|s|m|h|d)$/.exec(part);
    const status = stuckStates.find((s) => s === match?.[2]);
    const unit = durationUnits[match?.[4] ?? ''];
    if (!match?.[1] || !status || unit === undefined) {
      return `"${part}" is not channel:state=duration (state one of ${stuckStates.join(', ')}; duration like 15m, 2h, 3d)`;
    }
    out.push({ channel: match[1], status, ms: Number(match[3]) * unit });
  }
  return out;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  // Checked on the raw value too, so it is listed with the other problems rather than after fixing them.
  if (env.NODE_ENV === 'production' && !env.ADMIN_TOKEN?.trim() && !env.ADMIN_TOKENS?.trim()) {
    problems.push('ADMIN_TOKEN: required when NODE_ENV=production');
  }
  if (parsed.success && parsed.data.WORKER_LOCK_RENEW_MS >= parsed.data.WORKER_LOCK_MS) {
    problems.push(
      'WORKER_LOCK_RENEW_MS: must be shorter than WORKER_LOCK_MS, or locks expire between renewals',
    );
  }
  if (parsed.success) problems.push(...integrationEnvProblems(parsed.data));
  if (parsed.success && parsed.data.NODE_ENV === 'production') {
    const { ADMIN_TOKEN, ADMIN_TOKENS } = parsed.data;
    if (!ADMIN_TOKEN && ADMIN_TOKENS && !ADMIN_TOKENS.some((t) => t.role === 'admin')) {
      problems.push('ADMIN_TOKENS: needs a token with the admin role when ADMIN_TOKEN is unset');
    }
    problems.push(...secretProblems(parsed.data));
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return { ...parsed.data, QUEUE_PREFIX: parsed.data.QUEUE_PREFIX ?? defaultQueuePrefix(parsed.data) };
}

/** For entry points: parse or print the list of problems and exit 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
