import { z } from 'zod';
import type { OperationDoc } from '../../http/openapi.js';
import { notificationSchema } from '../../integrations/gofood/schema.js';
import { pushAnswers } from '../../integrations/kit/push.js';
import { manualOrderSchema } from '../../integrations/manual/schema.js';
import {
  basketIdParam,
  customerStatusAnswerSchema,
  providerParams,
} from '../../integrations/onebasket/route.js';
import { basketEventEnvelope, providerEventSchema } from '../../integrations/onebasket/schema.js';
import { ysOrderSchema } from '../../integrations/yemeksepeti/schema.js';
import { livenessAnswerSchema, readinessAnswerSchema } from '../routes/health.js';
import { admin } from './shared.js';

/** Health, and every route a channel pushes to or reads from. */
export const channelOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    tag: 'health',
    summary: 'Liveness',
    responses: { 200: { description: 'The process answers', body: livenessAnswerSchema } },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'Readiness: Postgres and Redis reachable',
    responses: {
      200: { description: 'Both answer', body: readinessAnswerSchema },
      503: { description: 'One of them does not (`status: "unavailable"`)', body: readinessAnswerSchema },
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
    responses: pushAnswers,
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
      responses: pushAnswers,
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
    responses: pushAnswers,
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
    responses: pushAnswers,
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
    responses: pushAnswers,
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
      200: {
        description: '`received` until the order exists, then each provider order',
        body: customerStatusAnswerSchema,
      },
    },
    errors: [400, 401, 404],
  },
];
