import { z } from 'zod';
import { cancelBody, refundBody, resolveBody } from '../../http/action-bodies.js';
import { listPageAnswerSchema, pageAnswerSchema } from '../../http/input.js';
import type { OperationDoc } from '../../http/openapi.js';
import { rejectBody } from '../../integrations/gofood/actions.js';
import { basketParams, basketViewSchema } from '../../integrations/onebasket/route.js';
import {
  listedOrderDtoSchema,
  orderDetailAnswerSchema,
  orderDetailDtoSchema,
  orderItemDtoSchema,
} from '../../orders/dto.js';
import { actionParams } from '../routes/admin-actions.js';
import {
  eventDetailDtoSchema,
  eventDtoSchema,
  eventIdParam,
  eventListQuery,
  eventReplayAnswerSchema,
} from '../routes/admin-events.js';
import { orderIdParam, orderItemsQuery, orderListQuery } from '../routes/admin-orders.js';
import {
  outboxDetailDtoSchema,
  outboxDtoSchema,
  outboxIdParam,
  outboxListQuery,
  outboxReplayAnswerSchema,
} from '../routes/admin-outbox.js';
import { admin } from './shared.js';

/** `GET /admin/orders`: past EXACT_TOTAL_LIMIT matches, `total` is the planner's estimate. */
const orderListAnswerSchema = pageAnswerSchema(listedOrderDtoSchema).extend({
  totalIsEstimate: z.boolean().describe("`total` is the planner's estimate, not an exact count"),
});

/** Orders, their operator actions, and the inbox and outbox behind them. */
export const orderOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/admin/onebasket/baskets/:id',
    tag: 'orders',
    summary: 'A OneBasket basket with its provider baskets and history',
    ...admin,
    params: basketParams,
    responses: { 200: { description: 'The basket', body: basketViewSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/orders',
    tag: 'orders',
    summary: 'Search orders (newest first)',
    ...admin,
    query: orderListQuery,
    responses: { 200: { description: 'A page of orders', body: orderListAnswerSchema } },
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
    responses: { 200: { description: 'The order', body: orderDetailAnswerSchema } },
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
    responses: { 200: { description: 'Items', body: listPageAnswerSchema(orderItemDtoSchema) } },
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
    responses: { 200: { description: 'The order after the action', body: orderDetailDtoSchema } },
    errors: [400, 401, 404, 409, 415],
  },
  {
    method: 'get',
    path: '/admin/events',
    tag: 'inbox and outbox',
    summary: 'Inbox events (newest first)',
    ...admin,
    query: eventListQuery,
    responses: { 200: { description: 'A page of inbox events', body: listPageAnswerSchema(eventDtoSchema) } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/events/:id',
    tag: 'inbox and outbox',
    summary: 'One inbox event with its payload',
    ...admin,
    params: eventIdParam,
    responses: { 200: { description: 'The event', body: eventDetailDtoSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/admin/events/:id/replay',
    tag: 'inbox and outbox',
    summary: 'Replay an inbox event (dead, attention or failed)',
    ...admin,
    params: eventIdParam,
    responses: { 202: { description: 'Queued again', body: eventReplayAnswerSchema } },
    errors: [400, 401, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/admin/outbox',
    tag: 'inbox and outbox',
    summary: 'Outbox messages (provider calls, hand-offs)',
    ...admin,
    query: outboxListQuery,
    responses: {
      200: { description: 'A page of outbox messages', body: listPageAnswerSchema(outboxDtoSchema) },
    },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/outbox/:id',
    tag: 'inbox and outbox',
    summary: 'One outbox message',
    ...admin,
    params: outboxIdParam,
    responses: { 200: { description: 'The message', body: outboxDetailDtoSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/admin/outbox/:id/replay',
    tag: 'inbox and outbox',
    summary: 'Replay a dead outbox message',
    ...admin,
    params: outboxIdParam,
    responses: { 202: { description: 'Queued again', body: outboxReplayAnswerSchema } },
    errors: [400, 401, 404, 409, 503],
  },
];
