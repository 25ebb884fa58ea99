import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, timestampInput, validate } from '../../http/input.js';
import { bearerToken, matchSecret, sha256Hex } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { ingestPush } from '../kit/push.js';
import { YS_SOURCE, type YsCategory } from './mapping.js';
import { type recoverResultSchema, recoverVendorOrders } from './recover.js';
import { type YsEventMeta, ysOrderSchema } from './schema.js';

/**
 * The category whose token this is, compared in constant time against every configured token (both are
 * always compared, so the answer's timing does not say which one matched).
 */
export function categoryForToken(config: Config, token: string | undefined): YsCategory | undefined {
  if (!token) return undefined;
  const categories = ['market', 'su'] as const;
  const found = matchSecret(token, [config.YEMEKSEPETI_MARKET_TOKEN, config.YEMEKSEPETI_SU_TOKEN]);
  return categories[found];
}

export const recoverBody = z
  .object({
    chainId: z.string().trim().min(1).max(200),
    vendorId: z.string().trim().min(1).max(200),
    since: timestampInput.optional(),
    until: timestampInput.optional(),
    pageSize: z.number().int().min(1).max(500).optional(),
  })
  .strict()
  .refine((b) => !b.since || !b.until || b.since < b.until, { message: 'since must be before until' });

/**
 * Inbound: `POST /api/v2/yemeksepeti/order/create` (the token decides Market or Su) and the per-category
 * `/api/v2/yemeksepeti/{market|su}/order/create` (the token must be that category's). One body for create
 * and cancel; the worker routes by `status`. A missing or wrong token is 401 and nothing is stored.
 *
 * Admin: `POST /admin/yemeksepeti/recover {chainId, vendorId, since?, until?}` runs the recovery inline and
 * answers its counts.
 */
export function registerYemeksepetiRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  const receive = (required: YsCategory | undefined) => async (c: Context<AppEnv>) => {
    const category = categoryForToken(deps.config, bearerToken(c.req.header('authorization')));
    if (!category || (required !== undefined && category !== required)) {
      throw new AppError(
        'unauthorized',
        required
          ? `a valid Yemeksepeti ${required} bearer token is required`
          : 'a valid Yemeksepeti bearer token is required',
      );
    }
    const { raw, json } = await readJsonBody(c);
    const order = validate(ysOrderSchema, json);
    // Dedup key = the category and the hash of the raw body: the same body twice on one category is one
    // event, the same order with a new status is a new body and so a new event, and the same body for the
    // other category is that category's own event.
    return ingestPush(c, deps, {
      source: YS_SOURCE,
      dedupKey: `${category}:sha256:${sha256Hex(raw)}`,
      eventType: `order.${order.status.toLowerCase()}`,
      externalOrderId: order.order_id,
      payload: json,
      payloadJson: raw,
      rawBody: raw,
      meta: { category, endpoint: c.req.path } satisfies YsEventMeta,
    });
  };

  app.post('/api/v2/yemeksepeti/order/create', receive(undefined));
  app.post('/api/v2/yemeksepeti/market/order/create', receive('market'));
  app.post('/api/v2/yemeksepeti/su/order/create', receive('su'));

  app.post('/admin/yemeksepeti/recover', deps.requireAdmin, async (c) => {
    const body = validate(recoverBody, (await readJsonBody(c)).json);
    const result = await recoverVendorOrders(
      { config: deps.config, db: deps.db, logger: c.var.logger, ingest: deps.ingest },
      body,
    );
    return c.json(result satisfies z.output<typeof recoverResultSchema>);
  });
}
