import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Redis } from 'ioredis';
import type { AppEnv } from '../http/env.js';
import { peekRateLimit, type RateLimit, rateLimit, rateLimited } from '../http/rate-limit.js';

/** The peer address of the connection (not X-Forwarded-For, which any client can write). */
export function clientIp(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface AuthFailureLimit {
  /** Refuses (429) a client already over its budget of failed authentications, before checking anything. */
  beforeCheck(c: Context<AppEnv>): Promise<void>;
  /** Counts one failed authentication against the client's address. */
  onFailure(c: Context<AppEnv>): Promise<void>;
}

/**
 * Failed authentications per client address, counted in Redis so every gateway process shares the budget:
 * past `limit` failures in `windowMs`, the address gets 429 with Retry-After until the window ends, even with
 * a right token. Guessing a 32-character token is hopeless anyway; this keeps the attempts from being free.
 */
export function authFailureLimit(
  redis: Redis,
  prefix: string,
  options: { limit: number; windowMs: number },
): AuthFailureLimit {
  const rule = (c: Context<AppEnv>): RateLimit => ({
    key: `${prefix}:rl:auth-fail:${clientIp(c)}`,
    limit: options.limit,
    windowMs: options.windowMs,
  });
  const message = 'too many failed authentications from this address; try again later';
  return {
    async beforeCheck(c) {
      if (options.limit <= 0) return;
      const state = await peekRateLimit(redis, rule(c));
      if (state.count >= options.limit) {
        throw rateLimited(
          { ...state, allowed: false, retryAfterMs: Math.max(state.retryAfterMs, 1000) },
          message,
        );
      }
    },
    async onFailure(c) {
      if (options.limit <= 0) return;
      const result = await rateLimit(redis, rule(c));
      if (!result.allowed) throw rateLimited(result, message);
    },
  };
}
