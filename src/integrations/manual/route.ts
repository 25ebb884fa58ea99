import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { sha256Hex } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { answerPush } from '../kit/push.js';
import { MANUAL_SOURCE, manualOrderSchema } from './schema.js';

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
