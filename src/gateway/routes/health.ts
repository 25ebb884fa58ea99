import type { Hono } from 'hono';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { errorMessage } from '../../lib/errors.js';
import { withTimeout } from '../../queues/index.js';

export function registerHealthRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const check = async (fn: () => Promise<void>) => {
      try {
        await withTimeout(fn(), 2000, 'check');
        return 'ok';
      } catch (err) {
        c.var.logger.warn({ err: errorMessage(err) }, 'readiness check failed');
        return 'unavailable';
      }
    };
    const [postgres, redis] = await Promise.all([check(deps.checkDatabase), check(deps.checkRedis)]);
    const ready = postgres === 'ok' && redis === 'ok';
    return c.json(
      { status: ready ? 'ready' : 'unavailable', checks: { postgres, redis } },
      ready ? 200 : 503,
    );
  });
}
