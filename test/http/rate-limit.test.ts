import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { rateLimit } from '../../src/http/rate-limit.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const a = new Redis(url);
const b = new Redis(url);
afterAll(async () => {
  await Promise.all([a.quit(), b.quit()]);
});

describe('when two processes count calls against one key', () => {
  it('holds one limit across them and says how long to wait', async () => {
    const rule = { key: `{og-test}:rl:${randomUUID()}`, limit: 3, windowMs: 60_000 };
    const results = [];
    for (const redis of [a, b, a, b, a]) results.push(await rateLimit(redis, rule));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results[3]?.retryAfterMs).toBeGreaterThan(0);
    expect(results[3]?.retryAfterMs).toBeLessThanOrEqual(60_000);
    await a.del(rule.key);
  });
});
