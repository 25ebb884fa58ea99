import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { errorMessage } from '../../lib/errors.js';
import { withTimeout } from '../../queues/index.js';

/** `GET /healthz`: the process answers. */
export const livenessAnswerSchema = z.object({ status: z.literal('ok') });

const checkResult = z.enum(['ok', 'unavailable']);
/** `GET /readyz`: 200 `ready` when Postgres and Redis both answer, else 503 `unavailable`. */
export const readinessAnswerSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: checkResult, redis: checkResult }),
});

export function registerHealthRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' } satisfies z.output<typeof livenessAnswerSchema>));

  app.get('/readyz', async (c) => {
    const check = async (fn: () => Promise<void>): Promise<z.output<typeof checkResult>> => {
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
      {
        status: ready ? 'ready' : 'unavailable',
        checks: { postgres, redis },
      } satisfies z.output<typeof readinessAnswerSchema>,
      ready ? 200 : 503,
    );
  });
}
