import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';

export interface RateLimit {
  /**
   * The Redis key counted, e.g. `{ordergate}:rl:auth-fail:203.0.113.7`: the caller namespaces it (the queue
   * prefix keeps it on the queues' Redis Cluster slot and isolates tests).
   */
  key: string;
  /** Most hits in one window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** How long until the window resets (0 when allowed). */
  retryAfterMs: number;
  /** Hits counted in the current window, this one included. */
  count: number;
}

/**
 * A fixed-window counter in Redis, so the limit holds across every process: one INCR (and the window's
 * expiry set by the first hit), atomically in a Lua script. `peek` reads without counting.
 */
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

function answer(count: number, ttl: number, limit: number): RateLimitResult {
  const allowed = count <= limit;
  return { allowed, retryAfterMs: allowed ? 0 : Math.max(ttl, 1), count };
}

/** Counts one hit against `key`: `{allowed, retryAfterMs}`. */
export async function rateLimit(redis: Redis, rule: RateLimit): Promise<RateLimitResult> {
  const result = (await redis.eval(HIT, 1, rule.key, String(rule.windowMs))) as [number, number];
  return answer(Number(result[0]), Number(result[1]), rule.limit);
}

/** Whether `key` is already over its limit, without counting a hit. */
export async function peekRateLimit(redis: Redis, rule: RateLimit): Promise<RateLimitResult> {
  const [count, ttl] = await Promise.all([redis.get(rule.key), redis.pttl(rule.key)]);
  const state = answer(Number(count ?? 0), ttl, rule.limit);
  return { ...state, retryAfterMs: Math.max(ttl, 0) };
}

/** The error for a refused request: 429 `rate_limited`; the envelope adds `Retry-After` (seconds). */
export function rateLimited(result: RateLimitResult, message = 'too many requests'): AppError {
  return new AppError('rate_limited', message, { retryAfterMs: result.retryAfterMs, retryable: true });
}

/** Counts one call and throws the 429 `rate_limited` (with Retry-After) when the limiter refuses it. */
export async function enforceRateLimit(redis: Redis, rule: RateLimit, what: string): Promise<void> {
  const result = await rateLimit(redis, rule);
  if (!result.allowed) throw rateLimited(result, `too many ${what}; retry later`);
}
