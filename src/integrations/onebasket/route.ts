/**
 * OneBasket's endpoints: basket events and provider events in (authenticated, validated, handed to ingest:
 * nothing else is written here), the customer-facing order status, and the admin endpoints (provider
 * registry, basket view). Contracts in docs/onebasket.md.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { readSignedJson } from '../../http/signature.js';
import { bearerToken, matchSecret } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { orderStatuses } from '../../orders/status.js';
import { ingestPush } from '../kit/push.js';
import { customerMessage, RECEIVED_MESSAGE } from './mapping.js';
import { PROVIDER_DEDUP_PREFIX, PROVIDER_EVENT_PREFIX } from './provider-events.js';
import { callbackTokenMatches, findProvider, providerDto, upsertProvider } from './providers.js';
import {
  basketEventEnvelope,
  ONEBASKET_SOURCE,
  providerBody,
  providerEventSchema,
  providerIdSchema,
} from './schema.js';
import { findBasket, providerBasketsOf } from './store.js';

export function registerOnebasketWebhooks(app: Hono<AppEnv>, deps: RouteDeps): void {
  /** 202 for a new event, 200 for one we hold already (deduplicated on `eventId`). */
  app.post('/webhooks/onebasket', async (c) => {
    // `X-OneBasket-Signature: sha256=<64 hex>` over the raw bytes, checked before anything is parsed.
    const secret = deps.config.ONEBASKET_WEBHOOK_SECRET;
    if (!secret) c.var.logger.warn('OneBasket event refused: ONEBASKET_WEBHOOK_SECRET is not set');
    const { raw, json } = await readSignedJson(c, {
      header: 'X-OneBasket-Signature',
      signature: c.req.header('x-onebasket-signature'),
      prefix: 'sha256=',
      secrets: [secret],
      maxBytes: deps.config.WEBHOOK_BODY_LIMIT_BYTES,
      notConfigured: 'OneBasket events are not configured',
    });
    const envelope = validate(basketEventEnvelope, json);
    return ingestPush(c, deps, {
      source: ONEBASKET_SOURCE,
      dedupKey: `basket:${envelope.eventId}`,
      eventType: envelope.type,
      externalOrderId: envelope.basket.id,
      payload: json,
      payloadJson: raw,
      rawBody: raw,
    });
  });

  /** Authorised by that provider's own callback token; another provider's token is 401. */
  app.post('/webhooks/providers/:providerId/events', async (c) => {
    const params = providerIdSchema.safeParse(c.req.param('providerId'));
    const token = bearerToken(c.req.header('authorization'));
    const provider = params.success ? await findProvider(deps.db, params.data) : undefined;
    if (!callbackTokenMatches(provider, token) || !provider) {
      throw new AppError('unauthorized', 'a valid callback token of this provider is required');
    }
    const { raw, json } = await readJsonBody(c);
    const event = validate(providerEventSchema, json);
    return ingestPush(c, deps, {
      source: ONEBASKET_SOURCE,
      dedupKey: `${PROVIDER_DEDUP_PREFIX}${provider.id}:${event.eventId}`,
      eventType: `${PROVIDER_EVENT_PREFIX}${event.type}`,
      payload: json,
      payloadJson: raw,
      rawBody: raw,
      meta: { providerId: provider.id },
    });
  });
}

/** What the customer reads once every provider has answered, by the order's status. */
const orderMessages: Record<string, string> = {
  delivered: 'Your order is complete.',
  cancelled: 'Your order could not be accepted; your payment is refunded.',
  refunded: 'Your order could not be accepted; your payment is refunded.',
};

export const basketIdParam = z.object({ basketId: z.string().trim().min(1).max(200) });

const isoTime = z.iso.datetime();
const minor = z.int().describe('Minor units of `currency`');
const processingStates = z.enum(['sent', 'confirmed', 'rejected']);
const fulfilmentStates = z.enum(['received', 'in_progress', 'ready', 'fulfilled']);

/** `GET /api/onebasket/orders/:basketId`: `received` until the order exists, then each provider order. */
export const customerStatusAnswerSchema = z.union([
  z.object({
    basketId: z.string(),
    status: z.literal('received'),
    message: z.string(),
    providerOrders: z.tuple([]),
  }),
  z.object({
    basketId: z.string(),
    orderNumber: z.string(),
    status: z.string().describe(`The order's status: one of ${orderStatuses.join(', ')}`),
    message: z.string().describe('What to tell the customer'),
    currency: z.string(),
    total: minor,
    refunded: minor,
    providerOrders: z.array(
      z.object({
        providerId: z.string(),
        providerName: z.string(),
        processing: processingStates,
        fulfilment: fulfilmentStates.nullable(),
        amount: minor,
        items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.int() })),
        message: z.string(),
      }),
    ),
  }),
]);
type CustomerStatusAnswer = z.output<typeof customerStatusAnswerSchema>;

/**
 * `GET /api/onebasket/orders/:basketId` (Bearer ONEBASKET_API_TOKEN): what OneBasket's front end shows its
 * customer. As soon as the basket's completion is stored (before any worker ran) the answer is 200
 * "received"; once the order exists, each provider order's processing and fulfilment.
 */
export function registerOnebasketCustomerApi(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.get('/api/onebasket/orders/:basketId', async (c) => {
    const configured = deps.config.ONEBASKET_API_TOKEN;
    const token = bearerToken(c.req.header('authorization'));
    if (!configured || !token || matchSecret(token, [configured]) === -1) {
      throw new AppError('unauthorized', 'a valid OneBasket API token is required');
    }
    const { basketId } = validate(basketIdParam, c.req.param(), 'path');
    const order = await deps.db
      .selectFrom('orders')
      .select(['id', 'order_number', 'status', 'currency', 'total', 'refunded_total'])
      .where('channel', '=', ONEBASKET_SOURCE)
      .where('external_order_id', '=', basketId)
      .executeTakeFirst();
    if (!order) {
      const completion = await deps.db
        .selectFrom('inbound_events')
        .select('id')
        .where('source', '=', ONEBASKET_SOURCE)
        .where('external_order_id', '=', basketId)
        .where('event_type', '=', 'BasketComplete')
        .executeTakeFirst();
      if (!completion)
        throw new AppError('not_found', 'no completed basket with this id', { details: { basketId } });
      return c.json({
        basketId,
        status: 'received',
        message: RECEIVED_MESSAGE,
        providerOrders: [],
      } satisfies CustomerStatusAnswer);
    }
    const providerOrders = await deps.db
      .selectFrom('provider_orders')
      .leftJoin('onebasket_providers', 'onebasket_providers.id', 'provider_orders.provider_id')
      .select([
        'provider_orders.provider_id',
        'onebasket_providers.name',
        'provider_orders.processing_state',
        'provider_orders.fulfilment_state',
        'provider_orders.amount',
        'provider_orders.items',
      ])
      .where('provider_orders.order_id', '=', order.id)
      .orderBy('provider_orders.provider_id')
      .execute();
    const pending = providerOrders.some((po) => po.processing_state === 'sent');
    const message = pending
      ? RECEIVED_MESSAGE
      : (orderMessages[order.status] ?? 'Your order is being prepared by each provider.');
    return c.json({
      basketId,
      orderNumber: order.order_number,
      status: order.status,
      message,
      currency: order.currency,
      total: order.total,
      refunded: order.refunded_total,
      providerOrders: providerOrders.map((po) => ({
        providerId: po.provider_id,
        providerName: po.name ?? po.provider_id,
        processing: po.processing_state,
        fulfilment: po.fulfilment_state,
        amount: po.amount,
        items: po.items.map(({ sku, name, quantity }) => ({ sku, name, quantity })),
        message: customerMessage({ processing: po.processing_state, fulfilment: po.fulfilment_state }),
      })),
    } satisfies CustomerStatusAnswer);
  });
}

export const providerParams = z.object({ providerId: providerIdSchema });
export const basketParams = z.object({ id: z.string().trim().min(1).max(200) });

/** `GET /admin/onebasket/baskets/:id`: the basket, its provider baskets and its history (oldest first). */
export const basketViewSchema = z.object({
  id: z.string(),
  state: z.enum(['mutable', 'immutable', 'completed']),
  currency: z.string(),
  orderId: z.uuid().nullable(),
  completedAt: isoTime.nullable(),
  paymentIntent: z
    .object({
      id: z.string(),
      amount: minor.nullable(),
      state: z.enum(['locking', 'locked', 'refused', 'deleted']).nullable(),
    })
    .nullable(),
  providerBaskets: z.array(
    z.object({
      providerId: z.string(),
      items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.int(), unitPrice: minor })),
      lock: z.object({
        state: z.enum(['none', 'requested', 'locked', 'refused', 'released']),
        paymentIntentId: z.string().nullable(),
        reason: z.string().nullable(),
        answeredAt: isoTime.nullable(),
      }),
    }),
  ),
  history: z
    .array(
      z.object({
        type: z.string(),
        applied: z.boolean(),
        note: z.string().nullable(),
        paymentIntentId: z.string().nullable(),
        providerId: z.string().nullable(),
        occurredAt: isoTime.nullable(),
        at: isoTime,
      }),
    )
    .describe('The first 500 entries'),
});

const isoOrNull = (at: Date | null) => (at ? at.toISOString() : null);

/**
 * `PUT /admin/providers/:providerId` (configures: admin role), `GET /admin/providers/:providerId` and
 * `GET /admin/onebasket/baskets/:id` (reads: viewer role).
 */
export function registerOnebasketAdminRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.put('/admin/providers/:providerId', deps.requireAdmin, async (c) => {
    const { providerId } = validate(providerParams, c.req.param(), 'path');
    const body = validate(providerBody, (await readJsonBody(c)).json);
    return c.json(providerDto(await upsertProvider(deps.db, providerId, body)));
  });

  app.get('/admin/providers/:providerId', deps.requireAdmin, async (c) => {
    const { providerId } = validate(providerParams, c.req.param(), 'path');
    const provider = await findProvider(deps.db, providerId);
    if (!provider) throw new AppError('not_found', 'provider not registered', { details: { providerId } });
    return c.json(providerDto(provider));
  });

  app.get('/admin/onebasket/baskets/:id', deps.requireAdmin, async (c) => {
    const { id } = validate(basketParams, c.req.param(), 'path');
    const basket = await findBasket(deps.db, id);
    if (!basket) throw new AppError('not_found', 'basket not found', { details: { id } });
    const [providerBaskets, history] = await Promise.all([
      providerBasketsOf(deps.db, id),
      deps.db
        .selectFrom('onebasket_basket_history')
        .selectAll()
        .where('basket_id', '=', id)
        .orderBy('id')
        .limit(500)
        .execute(),
    ]);
    return c.json({
      id: basket.id,
      state: basket.state,
      currency: basket.currency,
      orderId: basket.order_id,
      completedAt: isoOrNull(basket.completed_at),
      paymentIntent: basket.payment_intent_id
        ? {
            id: basket.payment_intent_id,
            amount: basket.payment_intent_amount,
            state: basket.payment_intent_state,
          }
        : null,
      providerBaskets: providerBaskets.map((pb) => ({
        providerId: pb.provider_id,
        items: pb.items,
        lock: {
          state: pb.lock_state,
          paymentIntentId: pb.lock_payment_intent_id,
          reason: pb.lock_reason,
          answeredAt: isoOrNull(pb.lock_answered_at),
        },
      })),
      history: history.map((h) => ({
        type: h.type,
        applied: h.applied,
        note: h.note,
        paymentIntentId: h.payment_intent_id,
        providerId: h.provider_id,
        occurredAt: isoOrNull(h.occurred_at),
        at: h.created_at.toISOString(),
      })),
    } satisfies z.output<typeof basketViewSchema>);
  });
}
