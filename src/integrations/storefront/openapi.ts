import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../http/env.js';
import { documentRoute, type OperationDoc } from '../../http/openapi.js';
import { orderDetailDtoSchema } from '../../orders/dto.js';
import { deliveryBody, discountAnswerSchema, productAnswerSchema, statusBody } from './admin-routes.js';
import {
  customerOrderListAnswerSchema,
  customerTimelineAnswerSchema,
  idParam,
  listQuery,
  refundRequestAnswerSchema,
} from './customer-routes.js';
import { checkoutAnswerSchema, checkoutStatusAnswerSchema, orderIdParam } from './route.js';
import {
  cancelReasonBody,
  catalogBody,
  checkoutBody,
  customerRefundBody,
  discountBody,
  discountCodeSchema,
  noteBody,
  shipmentBody,
  skuSchema,
} from './schema.js';
import { customerOrderViewSchema } from './views.js';

const customer = { tag: 'storefront', security: ['storefrontCustomer' as const] };
const admin = { tag: 'storefront admin', security: ['admin' as const] };

const operations: OperationDoc[] = [
  {
    ...customer,
    method: 'post',
    path: '/storefront/checkout',
    summary: 'Check out a cart',
    description:
      'Stored and answered at once; the worker prices the cart, reserves the stock and creates the order, or records why not (at the status URL). Rate-limited per customer and per IP.',
    headers: [{ name: 'Idempotency-Key', required: true, description: '8–255 characters, per customer' }],
    body: checkoutBody,
    responses: {
      202: {
        description: 'Stored: the order id it will have and where to follow it',
        body: checkoutAnswerSchema,
      },
      200: { description: 'The same key and body again: the first answer', body: checkoutAnswerSchema },
    },
    errors: [400, 401, 413, 415, 422, 429, 503],
  },
  {
    ...customer,
    method: 'get',
    path: '/storefront/checkouts/:orderId',
    summary: "A checkout's outcome: processing, created or failed with its reason",
    params: orderIdParam,
    responses: { 200: { description: 'The outcome', body: checkoutStatusAnswerSchema } },
    errors: [400, 401, 404],
  },
  {
    ...customer,
    method: 'get',
    path: '/storefront/orders',
    summary: "The customer's orders, newest first",
    query: listQuery,
    responses: { 200: { description: 'A page of orders', body: customerOrderListAnswerSchema } },
    errors: [400, 401],
  },
  {
    ...customer,
    method: 'get',
    path: '/storefront/orders/:id',
    summary: 'One of the customer’s orders',
    params: idParam,
    responses: { 200: { description: 'The order', body: customerOrderViewSchema } },
    errors: [400, 401, 404],
  },
  {
    ...customer,
    method: 'get',
    path: '/storefront/orders/:id/timeline',
    summary: "The order's public timeline: status changes and public notes",
    params: idParam,
    responses: { 200: { description: 'The entries', body: customerTimelineAnswerSchema } },
    errors: [400, 401, 404],
  },
  {
    ...customer,
    method: 'post',
    path: '/storefront/orders/:id/cancel',
    summary: 'Cancel while pending or confirmed (stock back, a payment refunded)',
    params: idParam,
    body: cancelReasonBody,
    bodyRequired: false,
    responses: { 200: { description: 'The cancelled order', body: customerOrderViewSchema } },
    errors: [400, 401, 404, 409],
  },
  {
    ...customer,
    method: 'post',
    path: '/storefront/orders/:id/refund',
    summary: 'Request a refund (an operator decides)',
    params: idParam,
    body: customerRefundBody,
    responses: { 202: { description: 'The request is recorded', body: refundRequestAnswerSchema } },
    errors: [400, 401, 404, 409, 415],
  },
  {
    ...admin,
    method: 'put',
    path: '/admin/catalog/:sku',
    summary: 'Set a product: name, price (minor units, GST excluded) and GST rate (role: admin)',
    params: z.object({ sku: skuSchema }),
    body: catalogBody,
    responses: { 200: { description: 'The product', body: productAnswerSchema } },
    errors: [400, 401, 415],
  },
  {
    ...admin,
    method: 'put',
    path: '/admin/discounts/:code',
    summary: 'Set a discount code (role: admin)',
    params: z.object({ code: discountCodeSchema }),
    body: discountBody,
    responses: { 200: { description: 'The discount', body: discountAnswerSchema } },
    errors: [400, 401, 415],
  },
  {
    ...admin,
    method: 'post',
    path: '/admin/orders/:id/shipments',
    summary: 'Ship a storefront order: processing → shipped, tracking kept (role: operator)',
    params: idParam,
    body: shipmentBody,
    responses: { 200: { description: 'The order', body: orderDetailDtoSchema } },
    errors: [400, 401, 404, 409, 415],
  },
  {
    ...admin,
    method: 'post',
    path: '/admin/orders/:id/delivery',
    summary: 'Mark a storefront order delivered (role: operator)',
    params: idParam,
    body: deliveryBody,
    bodyRequired: false,
    responses: { 200: { description: 'The order', body: orderDetailDtoSchema } },
    errors: [400, 401, 404, 409],
  },
  {
    ...admin,
    method: 'patch',
    path: '/admin/orders/:id/status',
    summary: "Change a storefront order's status through the transition table (role: operator)",
    params: idParam,
    body: statusBody,
    responses: { 200: { description: 'The order', body: orderDetailDtoSchema } },
    errors: [400, 401, 404, 409, 415],
  },
  {
    ...admin,
    method: 'post',
    path: '/admin/orders/:id/notes',
    summary: "Add a note to an order's timeline; public ones show to the customer (role: operator)",
    params: idParam,
    body: noteBody,
    responses: { 201: { description: 'The order', body: orderDetailDtoSchema } },
    errors: [400, 401, 404, 415],
  },
];

/** The storefront's routes in the API reference (`/openapi.json`, `/docs`). */
export function documentStorefrontRoutes(app: Hono<AppEnv>): void {
  for (const operation of operations) documentRoute(app, operation);
}
