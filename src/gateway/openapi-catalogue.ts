import type { Hono } from 'hono';
import { z } from 'zod';
import { cancelBody, refundBody, resolveBody } from '../http/action-bodies.js';
import type { AppEnv } from '../http/env.js';
import { documentRoute, excludeFromDocs, type OperationDoc } from '../http/openapi.js';
import { rejectBody } from '../integrations/gofood/actions.js';
import { outletBody, outletParams } from '../integrations/gofood/route.js';
import { notificationSchema } from '../integrations/gofood/schema.js';
import { manualOrderSchema } from '../integrations/manual/schema.js';
import { basketIdParam, basketParams, providerParams } from '../integrations/onebasket/route.js';
import { basketEventEnvelope, providerBody, providerEventSchema } from '../integrations/onebasket/schema.js';
import { recoverBody } from '../integrations/yemeksepeti/route.js';
import { ysOrderSchema } from '../integrations/yemeksepeti/schema.js';
import { actionParams } from './routes/admin-actions.js';
import { eventIdParam, eventListQuery } from './routes/admin-events.js';
import { interventionIdParam, interventionListQuery } from './routes/admin-interventions.js';
import { orderIdParam, orderItemsQuery, orderListQuery } from './routes/admin-orders.js';
import { outboxIdParam, outboxListQuery } from './routes/admin-outbox.js';
import { QUEUE_DASHBOARD_PATH } from './routes/admin-queues.js';
import { runBody, runIdParam, runListQuery } from './routes/admin-reconciliation.js';
import { codeParam, stockBody, warehouseBody } from './routes/admin-warehouses.js';

/**
 * The OpenAPI description of the gateway's routes, next to the schemas each route file exports and
 * validates with. A new route can describe itself with `documentRoute` where it is registered instead.
 */

/** What every ingesting route answers: the inbox event, new (202) or already held (200). */
const ingestAnswer = z.object({
  eventId: z.uuid().describe('The inbox event (GET /admin/events/{id})'),
  duplicate: z.literal(true).optional().describe('Present on 200: the same event was already stored'),
});
const ingested = {
  202: { description: 'Stored in the inbox and queued: a worker processes it', body: ingestAnswer },
  200: { description: 'Already stored (same dedup key): nothing new', body: ingestAnswer },
};
const anObject = { type: 'object' };
const page = (of: string) => ({
  type: 'object',
  description: `A page of ${of}`,
  properties: {
    data: { type: 'array', items: anObject },
    page: { type: 'integer' },
    limit: { type: 'integer' },
    total: { type: 'integer' },
  },
});

const admin = { security: ['admin' as const] };

/** An order's detail: the order, the first page of its items and where the rest are. */
const orderDetail = {
  type: 'object',
  properties: {
    items: { type: 'array', items: anObject, description: 'The first 100 items, in line order' },
    itemsPage: {
      type: 'object',
      properties: {
        limit: { type: 'integer', description: 'Items inlined in `items`' },
        total: { type: 'integer', description: 'Lines of the order' },
        next: {
          type: ['string', 'null'],
          description:
            'Path of the next page of items (`/admin/orders/{id}/items?page=2&limit=100`); null when `items` holds them all',
        },
      },
    },
  },
};

const operations: OperationDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    tag: 'health',
    summary: 'Liveness',
    responses: { 200: { description: 'The process answers', body: { type: 'object' } } },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'Readiness: Postgres and Redis reachable',
    responses: {
      200: { description: '`{status: "ready", checks: {postgres, redis}}`', body: anObject },
      503: { description: '`{status: "unavailable", checks}`: one of them is not', body: anObject },
    },
    errors: [],
  },
  {
    method: 'post',
    path: '/api/orders',
    tag: 'channels',
    summary: 'Create an order on the manual channel (storefront, operators)',
    description:
      'Amounts in minor units of `currency`. The same Idempotency-Key with the same body answers 200; with another body 422.',
    ...admin,
    headers: [
      {
        name: 'Idempotency-Key',
        required: true,
        description: '8–255 characters; one order per key',
        schema: z.string().min(8).max(255),
      },
    ],
    body: manualOrderSchema,
    responses: ingested,
    errors: [400, 401, 413, 415, 422, 503],
  },
  ...[
    '/api/v2/yemeksepeti/order/create',
    '/api/v2/yemeksepeti/market/order/create',
    '/api/v2/yemeksepeti/su/order/create',
  ].map(
    (path): OperationDoc => ({
      method: 'post',
      path,
      tag: 'channels',
      summary: path.includes('/market/')
        ? 'Yemeksepeti push, Market token only'
        : path.includes('/su/')
          ? 'Yemeksepeti push, Su token only'
          : 'Yemeksepeti push (the token decides Market or Su)',
      description:
        'One body for every status (create, cancel, status sync). Amounts in lira; KG items carry `pricing.weight` in kg. Parsed leniently: unknown fields kept, nulls accepted.',
      security: ['yemeksepetiToken'],
      body: ysOrderSchema,
      responses: ingested,
      errors: [400, 401, 413, 415, 503],
    }),
  ),
  {
    method: 'post',
    path: '/webhooks/gofood',
    tag: 'channels',
    summary: 'GoFood (GoBiz) notification',
    description:
      'Every authentic notification is stored, even one the worker cannot use (it goes to attention). Dedup: X-Go-Idempotency-Key, else header.event_id, else the body hash.',
    security: ['gofoodSignature'],
    headers: [{ name: 'X-Go-Idempotency-Key', required: false, description: "GoBiz's delivery id" }],
    body: notificationSchema,
    responses: ingested,
    errors: [400, 401, 413, 415, 503],
  },
  {
    method: 'post',
    path: '/webhooks/onebasket',
    tag: 'channels',
    summary: 'OneBasket basket event (created, updated, deleted, payment intents, completion)',
    description: 'The signature is checked over the raw body before it is parsed. Dedup on `eventId`.',
    security: ['onebasketSignature'],
    body: basketEventEnvelope,
    responses: ingested,
    errors: [400, 401, 413, 415, 503],
  },
  {
    method: 'post',
    path: '/webhooks/providers/:providerId/events',
    tag: 'channels',
    summary: "A OneBasket provider's processing or fulfilment event for its part of an order",
    security: ['onebasketProviderToken'],
    params: providerParams,
    body: providerEventSchema,
    responses: ingested,
    errors: [400, 401, 413, 415, 503],
  },
  {
    method: 'get',
    path: '/api/onebasket/orders/:basketId',
    tag: 'channels',
    summary: "A OneBasket order's status for its customer, per provider",
    security: ['onebasketApiToken'],
    params: basketIdParam,
    responses: {
      200: { description: '`received` until the order exists, then each provider order', body: anObject },
    },
    errors: [400, 401, 404],
  },
  {
    method: 'put',
    path: '/admin/providers/:providerId',
    tag: 'configuration',
    summary: 'Register or update a OneBasket provider (its API and callback token)',
    ...admin,
    params: providerParams,
    body: providerBody,
    responses: { 200: { description: 'The provider', body: anObject } },
    errors: [400, 401, 415],
  },
  {
    method: 'get',
    path: '/admin/providers/:providerId',
    tag: 'configuration',
    summary: 'A registered OneBasket provider',
    ...admin,
    params: providerParams,
    responses: { 200: { description: 'The provider', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/onebasket/baskets/:id',
    tag: 'orders',
    summary: 'A OneBasket basket with its provider baskets and history',
    ...admin,
    params: basketParams,
    responses: { 200: { description: 'The basket', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/orders',
    tag: 'orders',
    summary: 'Search orders (newest first)',
    ...admin,
    query: orderListQuery,
    responses: { 200: { description: 'Orders', body: page('orders') } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/orders/:id',
    tag: 'orders',
    summary: 'An order with its first 100 items, timeline, external refs and channel status history',
    description:
      '`items` holds the first 100 lines; `itemsPage` says how many there are (`total`) and, when there are more, where the next page is (`next`, a `GET /admin/orders/{id}/items` path).',
    ...admin,
    params: orderIdParam,
    responses: { 200: { description: 'The order', body: orderDetail } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/orders/:id/items',
    tag: 'orders',
    summary: "A page of an order's items, in line order",
    description:
      'Pages of `limit` items (default 100, at most 500); `total` is the number of lines of the order.',
    ...admin,
    params: orderIdParam,
    query: orderItemsQuery,
    responses: { 200: { description: 'Items', body: page('order items') } },
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/admin/orders/:id/:action',
    tag: 'orders',
    summary: 'An operator decision under the order channel’s rules',
    description:
      'Bodies: `cancel {reason}`, `refund {amount (minor units), reason, items?}`, `reject {reasonCode, description}` (GoFood), `resolve {note}`; `dispatch`, `accept`, `ready` take none. A refused action is 409 with a `rule_<name>` code.',
    ...admin,
    params: actionParams,
    body: z.union([cancelBody, refundBody, rejectBody, resolveBody, z.object({})]),
    bodyRequired: false,
    responses: { 200: { description: 'The order after the action', body: anObject } },
    errors: [400, 401, 404, 409, 415],
  },
  {
    method: 'get',
    path: '/admin/events',
    tag: 'inbox and outbox',
    summary: 'Inbox events (newest first)',
    ...admin,
    query: eventListQuery,
    responses: { 200: { description: 'Events', body: page('inbox events') } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/events/:id',
    tag: 'inbox and outbox',
    summary: 'One inbox event with its payload',
    ...admin,
    params: eventIdParam,
    responses: { 200: { description: 'The event', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/admin/events/:id/replay',
    tag: 'inbox and outbox',
    summary: 'Replay an inbox event (dead, attention or failed)',
    ...admin,
    params: eventIdParam,
    responses: { 200: { description: 'Queued again', body: anObject } },
    errors: [400, 401, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/admin/outbox',
    tag: 'inbox and outbox',
    summary: 'Outbox messages (provider calls, hand-offs)',
    ...admin,
    query: outboxListQuery,
    responses: { 200: { description: 'Messages', body: page('outbox messages') } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/outbox/:id',
    tag: 'inbox and outbox',
    summary: 'One outbox message',
    ...admin,
    params: outboxIdParam,
    responses: { 200: { description: 'The message', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/admin/outbox/:id/replay',
    tag: 'inbox and outbox',
    summary: 'Replay a dead outbox message',
    ...admin,
    params: outboxIdParam,
    responses: { 200: { description: 'Queued again', body: anObject } },
    errors: [400, 401, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/admin/warehouses/:code',
    tag: 'configuration',
    summary: 'A warehouse, its store ids per channel and its stock',
    ...admin,
    params: codeParam,
    responses: { 200: { description: 'The warehouse', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'put',
    path: '/admin/warehouses/:code',
    tag: 'configuration',
    summary: 'Create or update a warehouse and the channel store ids it serves',
    ...admin,
    params: codeParam,
    body: warehouseBody,
    responses: { 200: { description: 'The warehouse', body: anObject } },
    errors: [400, 401, 409, 415],
  },
  {
    method: 'put',
    path: '/admin/warehouses/:code/stock',
    tag: 'configuration',
    summary: 'Set on-hand quantities (units, or grams for weight-priced SKUs)',
    ...admin,
    params: codeParam,
    body: stockBody,
    responses: { 200: { description: 'The warehouse', body: anObject } },
    errors: [400, 401, 404, 415],
  },
  {
    method: 'get',
    path: '/admin/gofood/outlets/:outletId',
    tag: 'configuration',
    summary: "A GoFood outlet's acceptance mode and warehouse",
    ...admin,
    params: outletParams,
    responses: { 200: { description: 'The outlet', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'put',
    path: '/admin/gofood/outlets/:outletId',
    tag: 'configuration',
    summary: "Set a GoFood outlet's acceptance mode and warehouse",
    ...admin,
    params: outletParams,
    body: outletBody,
    responses: { 200: { description: 'The outlet', body: anObject } },
    errors: [400, 401, 415],
  },
  {
    method: 'post',
    path: '/admin/yemeksepeti/recover',
    tag: 'operations',
    summary: "List a vendor's Yemeksepeti orders and ingest the ones we missed",
    ...admin,
    body: recoverBody,
    responses: { 200: { description: '`{pages, listed, ingested, known, invalid}`', body: anObject } },
    errors: [400, 401, 415, 502, 503],
  },
  {
    method: 'post',
    path: '/admin/reconciliation/runs',
    tag: 'operations',
    summary: 'Run reconciliation now',
    ...admin,
    body: runBody,
    bodyRequired: false,
    responses: { 200: { description: "The run's report", body: anObject } },
    errors: [400, 401, 409, 415],
  },
  {
    method: 'get',
    path: '/admin/interventions',
    tag: 'operations',
    summary: 'Everything that needs a person, newest first (filters: state, source, order)',
    ...admin,
    query: interventionListQuery,
    responses: { 200: { description: 'Entries', body: page('interventions') } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/interventions/:id',
    tag: 'operations',
    summary: 'One intervention',
    ...admin,
    params: interventionIdParam,
    responses: { 200: { description: 'The entry', body: anObject } },
    errors: [400, 401, 404],
  },
  ...(['resolve', 'acknowledge'] as const).map(
    (action): OperationDoc => ({
      method: 'post',
      path: `/admin/interventions/:id/${action}`,
      tag: 'operations',
      summary:
        action === 'resolve'
          ? 'Resolve an intervention with a note (on the order timeline too)'
          : 'Acknowledge a reconciliation finding: later runs no longer report it',
      ...admin,
      params: interventionIdParam,
      body: resolveBody,
      responses: { 200: { description: 'The resolved entry', body: anObject } },
      errors: [400, 401, 404, 409, 415],
    }),
  ),
  {
    method: 'post',
    path: '/admin/interventions/:id/replay',
    tag: 'operations',
    summary: 'Replay the dead event or outbox message an intervention names',
    ...admin,
    params: interventionIdParam,
    responses: {
      202: { description: 'Replay requested; the entry resolves when it succeeds', body: anObject },
    },
    errors: [400, 401, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/admin/reconciliation/runs',
    tag: 'operations',
    summary: 'Reconciliation runs, newest first',
    ...admin,
    query: runListQuery,
    responses: { 200: { description: 'Runs', body: page('reconciliation runs') } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/reconciliation/runs/:id',
    tag: 'operations',
    summary: "One reconciliation run's report",
    ...admin,
    params: runIdParam,
    responses: { 200: { description: 'The run', body: anObject } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics of this process',
    ...admin,
    responses: {
      200: { description: 'Prometheus text exposition', contentType: 'text/plain', body: { type: 'string' } },
    },
    errors: [401],
  },
  {
    method: 'get',
    path: QUEUE_DASHBOARD_PATH,
    tag: 'operations',
    summary: 'The job dashboard (bull-board), for browsers',
    security: ['admin', 'adminBasic'],
    responses: { 200: { description: 'HTML', contentType: 'text/html', body: { type: 'string' } } },
    errors: [401],
  },
];

export function documentGatewayRoutes(app: Hono<AppEnv>): void {
  for (const operation of operations) documentRoute(app, operation);
  excludeFromDocs(app, `${QUEUE_DASHBOARD_PATH}/`, "the job dashboard's own pages, assets and XHR API");
}
