import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';

export interface RateLimit {
  /** Redis key of the counter (give it the process's queue prefix so test systems and tenants never share). */
  key: string;
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  retryAfterMs: number;
}

// One round trip, atomic: the counter and its expiry are set together, so every process sees the same window.
const FIXED_WINDOW = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

/** A fixed-window limiter in Redis, shared by every process: at most `limit` calls per `windowMs` per key. */
export async function rateLimit(redis: Redis, rule: RateLimit): Promise<RateLimitResult> {
  const [count, ttl] = (await redis.eval(FIXED_WINDOW, 1, rule.key, String(rule.windowMs))) as [
    number,
    number,
  ];
  return count <= rule.limit
    ? { allowed: true, retryAfterMs: 0 }
    : { allowed: false, retryAfterMs: Math.max(ttl, 1) };
}

/** Throws the 429 `rate_limited` (with Retry-After) when the limiter refuses. */
export async function enforceRateLimit(redis: Redis, rule: RateLimit, what: string): Promise<void> {
  const result = await rateLimit(redis, rule);
  if (!result.allowed) {
    throw new AppError('rate_limited', `too many ${what}; retry later`, {
      retryAfterMs: result.retryAfterMs,
    });
  }
}
