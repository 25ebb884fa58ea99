/**
 * The order as the admin API answers it, as zod schemas: the types the query mappers must produce are
 * inferred from them, and the OpenAPI document renders the same schemas, so the reference cannot drift from
 * what the API sends. camelCase, money in minor units of `currency`, times as ISO 8601 strings.
 */
import { z } from 'zod';
import { orderStatuses, paymentStatuses } from './status.js';

const isoTime = z.iso.datetime();
const minor = z.int().describe('Minor units of the order currency');
const jsonObject = z.record(z.string(), z.unknown());

export const customerDtoSchema = z.object({
  id: z.uuid(),
  externalId: z.string().nullable().describe("The channel's customer id"),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
});

export const orderItemDtoSchema = z.object({
  lineNo: z.int(),
  sku: z.string(),
  name: z.string(),
  quantity: z.int(),
  weightGrams: z.int().nullable().describe('Weight-priced (KG) lines: the weight ordered, in grams'),
  pricingType: z.string().describe('`unit` or `kg`'),
  unitPrice: minor,
  totalPrice: minor,
  taxRateBp: z.int().nullable().describe('Tax rate in basis points'),
  status: z.string(),
  externalId: z.string().nullable(),
  metadata: jsonObject,
});

export const orderDtoSchema = z.object({
  id: z.uuid(),
  orderNumber: z.string(),
  channel: z.string(),
  externalOrderId: z.string(),
  status: z.string().describe(`One of ${orderStatuses.join(', ')}`),
  channelStatus: z.string().nullable().describe("The channel's own last status"),
  paymentStatus: z.string().describe(`One of ${paymentStatuses.join(', ')}`),
  currency: z.string(),
  subtotal: minor,
  discountTotal: minor,
  shippingTotal: minor,
  taxTotal: minor,
  total: minor,
  refundedTotal: minor,
  warehouseCode: z.string().nullable(),
  externalRefs: z.record(z.string(), z.string()),
  attributes: jsonObject,
  attentionReason: z.string().nullable().describe('Set while the order waits for a person'),
  customer: customerDtoSchema.nullable(),
  items: z.array(orderItemDtoSchema),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const timelineDtoSchema = z.object({
  id: z.int(),
  type: z.string(),
  fromStatus: z.string().nullable(),
  toStatus: z.string().nullable(),
  actor: z.string(),
  message: z.string(),
  metadata: jsonObject,
  createdAt: isoTime,
});

export const channelStatusDtoSchema = z.object({
  channelStatus: z.string(),
  applied: z.boolean().describe('False when it arrived out of order and did not move the order'),
  note: z.string().nullable(),
  eventId: z.uuid().nullable(),
  occurredAt: isoTime.nullable(),
  recordedAt: isoTime,
});

/** A provider order (`ProviderOrderDto`) as JSON: its dates are ISO strings there. */
export const providerOrderJsonSchema = z.object({
  id: z.uuid(),
  providerId: z.string(),
  items: z.array(z.unknown()),
  amount: minor,
  currency: z.string(),
  externalRef: z.string().nullable(),
  processing: z.string(),
  fulfilment: z.string().nullable(),
  tracksFulfilment: z.boolean(),
  reason: z.string().nullable(),
  deliveredAt: isoTime.nullable(),
  history: z.array(
    z.object({
      source: z.string(),
      state: z.string(),
      applied: z.boolean(),
      note: z.string().nullable(),
      occurredAt: isoTime.nullable(),
      at: isoTime,
    }),
  ),
});

/** Where the rest of an order's items are, and how many there are. */
export const itemsPageDtoSchema = z.object({
  limit: z.int().describe('Items inlined in the detail (the first `limit` lines)'),
  total: z.int().describe('Lines of the order'),
  next: z
    .string()
    .nullable()
    .describe(
      'Path of the next page of items (`/admin/orders/{id}/items?page=2&limit=100`); null when `items` holds them all',
    ),
});

/** An order as a list shows it: its first lines inline, and where the rest are. */
export const listedOrderDtoSchema = orderDtoSchema.extend({
  items: z.array(orderItemDtoSchema).describe('The first 20 items, in line order'),
  itemsPage: itemsPageDtoSchema,
});

export const orderDetailDtoSchema = orderDtoSchema.extend({
  items: z.array(orderItemDtoSchema).describe('The first page of items, in line order'),
  itemsPage: itemsPageDtoSchema,
  timeline: z.array(timelineDtoSchema),
  channelStatusHistory: z.array(channelStatusDtoSchema),
});

/** `GET /admin/orders/:id`: the detail, and the provider orders of an order split across provider systems. */
export const orderDetailAnswerSchema = orderDetailDtoSchema.extend({
  providerOrders: z
    .array(providerOrderJsonSchema)
    .optional()
    .describe('Present for an order split across provider systems (OneBasket)'),
});

export type CustomerDto = z.output<typeof customerDtoSchema>;
export type OrderItemDto = z.output<typeof orderItemDtoSchema>;
export type OrderDto = z.output<typeof orderDtoSchema>;
export type TimelineDto = z.output<typeof timelineDtoSchema>;
export type ChannelStatusDto = z.output<typeof channelStatusDtoSchema>;
export type OrderDetailDto = z.output<typeof orderDetailDtoSchema>;
export type ItemsPageDto = z.output<typeof itemsPageDtoSchema>;
export type ListedOrderDto = z.output<typeof listedOrderDtoSchema>;
