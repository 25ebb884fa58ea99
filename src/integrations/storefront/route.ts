import { randomUUID } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { enforceRateLimit } from '../../http/rate-limit.js';
import { sha256Hex } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { customerOf } from './customer-auth.js';
import { CHECKOUT_EVENT, checkoutBody, STOREFRONT_SOURCE } from './schema.js';

const idempotencyKey = z.string().trim().min(8).max(255);
export const orderIdParam = z.object({ orderId: z.uuid() });

export const checkoutStatusUrl = (orderId: string) => `/storefront/checkouts/${orderId}`;

/** `POST /storefront/checkout`: 202 for a new checkout, 200 with `duplicate: true` for the same key and body. */
export const checkoutAnswerSchema = z.object({
  orderId: z.uuid().describe('The id the order will have'),
  statusUrl: z.string().describe('Where to follow the checkout (`GET /storefront/checkouts/{orderId}`)'),
  eventId: z.uuid(),
  duplicate: z.literal(true).optional().describe('Present on 200: the first answer to this key'),
});

/** `GET /storefront/checkouts/:orderId`: still processing, the order created, or failed with its reason. */
export const checkoutStatusAnswerSchema = z.discriminatedUnion('status', [
  z.object({ orderId: z.uuid(), status: z.literal('processing') }),
  z.object({
    orderId: z.uuid(),
    status: z.literal('created'),
    orderUrl: z.string().describe('`GET /storefront/orders/{id}`'),
  }),
  z.object({ orderId: z.uuid(), status: z.literal('failed'), reason: z.string().nullable() }),
]);
type CheckoutStatusAnswer = z.output<typeof checkoutStatusAnswerSchema>;

/** The peer address of the TCP connection (forwarded-for headers are not trusted: any client can set them). */
function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * `POST /storefront/checkout` (customer JWT, `Idempotency-Key` required): validated, rate-limited per customer
 * and per IP, stored in the inbox (the catalog, codes and stock are the worker's to judge, at order time) and answered `202 {orderId, statusUrl, eventId}`; the worker creates the order.
 * The same key with the same body answers the same order id; with another body 422.
 * `GET /storefront/checkouts/:orderId`: `processing`, `created` or `failed` with its reason.
 */
export function registerCheckoutRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post('/storefront/checkout', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const key = c.req.header('idempotency-key');
    if (!key) throw new AppError('validation_failed', 'the Idempotency-Key header is required');
    validate(idempotencyKey, key, 'Idempotency-Key header');
    const { config, redis } = deps;
    const window = { windowMs: config.STOREFRONT_CHECKOUT_WINDOW_MS };
    await enforceRateLimit(
      redis,
      {
        key: `${config.QUEUE_PREFIX}:rl:checkout:customer:${customerId}`,
        limit: config.STOREFRONT_CHECKOUT_LIMIT_PER_CUSTOMER,
        ...window,
      },
      'checkouts by this customer',
    );
    await enforceRateLimit(
      redis,
      {
        key: `${config.QUEUE_PREFIX}:rl:checkout:ip:${clientIp(c)}`,
        limit: config.STOREFRONT_CHECKOUT_LIMIT_PER_IP,
        ...window,
      },
      'checkouts from this address',
    );
    const { raw, json } = await readJsonBody(c);
    const body = validate(checkoutBody, json);
    const orderId = randomUUID();
    const fingerprint = sha256Hex(raw);
    const result = await deps.ingest({
      source: STOREFRONT_SOURCE,
      // Keys are the customer's own: two customers may pick the same one.
      dedupKey: `${customerId.length}:${customerId}:${key.trim()}`,
      eventType: CHECKOUT_EVENT,
      externalOrderId: orderId,
      payload: { ...body, orderId, customerId },
      meta: { fingerprint },
    });
    if (result.duplicate) {
      const stored = await deps.db
        .selectFrom('inbound_events')
        .select(['meta', 'external_order_id'])
        .where('id', '=', result.eventId)
        .executeTakeFirstOrThrow();
      if (stored.meta.fingerprint !== fingerprint || !stored.external_order_id) {
        throw new AppError('idempotency_conflict', 'Idempotency-Key was already used with a different body');
      }
      const first = stored.external_order_id;
      return c.json(
        {
          orderId: first,
          statusUrl: checkoutStatusUrl(first),
          eventId: result.eventId,
          duplicate: true,
        } satisfies z.output<typeof checkoutAnswerSchema>,
        200,
      );
    }
    return c.json(
      {
        orderId,
        statusUrl: checkoutStatusUrl(orderId),
        eventId: result.eventId,
      } satisfies z.output<typeof checkoutAnswerSchema>,
      202,
    );
  });

  app.get('/storefront/checkouts/:orderId', async (c) => {
    const customerId = await customerOf(c, deps.config);
    const { orderId } = validate(orderIdParam, c.req.param(), 'path');
    const decided = await deps.db
      .selectFrom('storefront_checkouts')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    if (decided) {
      return c.json(
        (decided.status === 'failed'
          ? { orderId, status: 'failed', reason: decided.reason }
          : {
              orderId,
              status: 'created',
              orderUrl: `/storefront/orders/${orderId}`,
            }) satisfies CheckoutStatusAnswer,
      );
    }
    const event = await deps.db
      .selectFrom('inbound_events')
      .select(['status', 'payload'])
      .where('source', '=', STOREFRONT_SOURCE)
      .where('external_order_id', '=', orderId)
      .executeTakeFirst();
    const owner = z.object({ customerId: z.string() }).safeParse(event?.payload);
    if (!event || !owner.success || owner.data.customerId !== customerId) {
      throw new AppError('not_found', 'checkout not found', { details: { orderId } });
    }
    // An event the worker gave up on never reached a decision: it failed for a reason of ours.
    if (event.status === 'dead') {
      return c.json({
        orderId,
        status: 'failed',
        reason: 'the checkout could not be processed',
      } satisfies CheckoutStatusAnswer);
    }
    return c.json({ orderId, status: 'processing' } satisfies CheckoutStatusAnswer);
  });
}
