import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { sha256Hex } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { answerPush } from '../kit/push.js';

export const MANUAL_SOURCE = 'manual';

const minor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A storefront / operator order: amounts in minor units of `currency`. */
export const manualOrderSchema = z
  .object({
    externalOrderId: z.string().trim().min(1).max(200),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'ISO 4217 code')
      .transform((c) => c.toUpperCase()),
    customer: z
      .object({
        externalId: z.string().trim().min(1).max(200).optional(),
        name: z.string().trim().min(1).max(200).optional(),
        phone: z.string().trim().min(3).max(40).optional(),
        email: z.email().max(320).optional(),
      })
      .optional(),
    items: z
      .array(
        z.object({
          sku: z.string().trim().min(1).max(100),
          name: z.string().trim().min(1).max(300),
          quantity: z.number().int().positive().max(100_000),
          unitPrice: minor,
        }),
      )
      .min(1)
      .max(500),
    shippingTotal: minor.optional(),
    discountTotal: minor.optional(),
    /** Reserve the items in this warehouse's stock. */
    warehouse: z.string().trim().min(1).max(64).optional(),
    /** Already paid at the storefront: the order starts confirmed. */
    paid: z.boolean().optional(),
  })
  .strict();

const idempotencyKey = z.string().trim().min(8).max(255);

/**
 * `POST /api/orders` (admin auth, `Idempotency-Key` required): the `manual` channel. The same key with the
 * same body is the same order; the same key with a different body is refused with 422.
 */
export function registerManualRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post('/api/orders', deps.requireAdmin, async (c) => {
    const key = c.req.header('idempotency-key');
    if (!key) throw new AppError('validation_failed', 'the Idempotency-Key header is required');
    validate(idempotencyKey, key, 'Idempotency-Key header');
    const { raw, json } = await readJsonBody(c);
    const order = validate(manualOrderSchema, json);
    const fingerprint = sha256Hex(raw);
    const result = await deps.ingest({
      source: MANUAL_SOURCE,
      dedupKey: key,
      eventType: 'order.create',
      externalOrderId: order.externalOrderId,
      payload: order,
      rawBody: raw,
      meta: { fingerprint },
    });
    if (result.duplicate) {
      const stored = await deps.db
        .selectFrom('inbound_events')
        .select('meta')
        .where('id', '=', result.eventId)
        .executeTakeFirst();
      if (stored && stored.meta.fingerprint !== fingerprint) {
        throw new AppError('idempotency_conflict', 'Idempotency-Key was already used with a different body', {
          details: { eventId: result.eventId },
        });
      }
    }
    return answerPush(c, result);
  });
}
