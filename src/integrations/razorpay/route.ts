import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { validate } from '../../http/input.js';
import { documentRoute } from '../../http/openapi.js';
import { readSignedJson } from '../../http/signature.js';
import { ingestPush, pushAnswers } from '../kit/push.js';
import { RAZORPAY_SOURCE, webhookSchema } from './schema.js';

const eventIdHeader = z.string().trim().min(1).max(255);

/**
 * `POST /webhooks/razorpay`. `X-Razorpay-Signature` is checked over the raw bytes before the body is parsed;
 * a missing, malformed or wrong one is 401 and nothing is stored. Deduplicated on `X-Razorpay-Event-Id`
 * (else the body's hash): 202 for a new event, 200 for one we hold.
 */
export function registerRazorpayWebhook(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post('/webhooks/razorpay', async (c) => {
    const secret = deps.config.RAZORPAY_WEBHOOK_SECRET;
    if (!secret) c.var.logger.warn('Razorpay webhook refused: RAZORPAY_WEBHOOK_SECRET is not set');
    const { raw, json } = await readSignedJson(c, {
      header: 'X-Razorpay-Signature',
      signature: c.req.header('x-razorpay-signature'),
      secrets: [secret],
      maxBytes: deps.config.WEBHOOK_BODY_LIMIT_BYTES,
      notConfigured: 'Razorpay webhooks are not configured',
    });
    const hook = validate(webhookSchema, json);
    const eventId = c.req.header('x-razorpay-event-id');
    return ingestPush(c, deps, {
      source: RAZORPAY_SOURCE,
      dedupKey: eventId && eventIdHeader.safeParse(eventId).success ? eventId.trim() : null,
      eventType: hook.event,
      externalOrderId:
        hook.payload.payment?.entity.order_id ??
        hook.payload.order?.entity.id ??
        hook.payload.refund?.entity.payment_id,
      payload: json,
      payloadJson: raw,
      rawBody: raw,
    });
  });
  documentRoute(app, {
    method: 'post',
    path: '/webhooks/razorpay',
    tag: 'channels',
    summary: 'Razorpay payment and refund events',
    description:
      'The signature is checked over the raw body before it is parsed. Dedup on X-Razorpay-Event-Id, else the body hash.',
    security: ['razorpaySignature'],
    headers: [{ name: 'X-Razorpay-Event-Id', required: false, description: "Razorpay's event id" }],
    body: webhookSchema,
    responses: pushAnswers,
    errors: [400, 401, 413, 415, 503],
  });
}
