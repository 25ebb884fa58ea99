import { z } from 'zod';

/**
 * The Yemeksepeti (Delivery Hero partner picking) order body, the same for create and cancel.
 * We validate what we use, let unknown fields through (`looseObject`) and accept null wherever the sender
 * sends it. Status-specific requirements (a create needs a store and items) are checked in superRefine.
 */

/** Decimal amounts arrive as numbers or numeric strings. */
const decimal = z.union([
  z.number().finite(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'a decimal number'),
]);
const text = z.string().max(2000);
/** Ids arrive as strings or numbers; kept as strings. */
const id = z.union([z.string().trim().min(1).max(200), z.number().int()]).transform((v) => String(v));

export const ysPricingSchema = z.looseObject({
  /** UNIT or KG (weight-priced: unit_price is per kg). */
  pricing_type: z.string().max(32).nullish(),
  unit_price: decimal.nullish(),
  total_price: decimal.nullish(),
  quantity: z.number().nonnegative().nullish(),
  /** Kilograms, for KG items. */
  weight: z.number().nonnegative().nullish(),
  vat_percent: decimal.nullish(),
});
export type YsPricing = z.infer<typeof ysPricingSchema>;

export const ysItemSchema = z.looseObject({
  _id: id.nullish(),
  sku: z.string().trim().min(1).max(100).nullish(),
  barcode: z.array(z.string().max(100)).nullish(),
  name: text.nullish(),
  status: z.string().max(64).nullish(),
  pricing: ysPricingSchema.nullish(),
  original_pricing: ysPricingSchema.nullish(),
});
export type YsItem = z.infer<typeof ysItemSchema>;

export const ysClientSchema = z.looseObject({
  id: id.nullish(),
  chain_id: id.nullish(),
  name: text.nullish(),
  country_code: z.string().max(8).nullish(),
  store_id: id.nullish(),
  external_partner_config_id: id.nullish(),
});

export const ysCustomerSchema = z.looseObject({
  _id: id.nullish(),
  first_name: text.nullish(),
  last_name: text.nullish(),
  phone_number: z.string().max(64).nullish(),
  delivery_address: z.looseObject({}).nullish(),
});

export const ysPaymentSchema = z.looseObject({
  type: z.string().max(64).nullish(),
  sub_total: decimal.nullish(),
  order_total: decimal.nullish(),
  delivery_fee: decimal.nullish(),
  service_fee: decimal.nullish(),
  discount: decimal.nullish(),
  total_taxes: decimal.nullish(),
});

export const ysCancellationSchema = z.looseObject({
  reason: text.nullish(),
  cancelled_by: z.string().max(200).nullish(),
});

/**
 * Statuses whose body must be complete enough to create an order (a store and items). READY_FOR_PICKUP may
 * create one too, but it may also concern an order we hold: the worker checks it when it creates.
 */
export const CREATE_STATUSES = ['RECEIVED', 'UNASSIGNED'] as const;

export const ysOrderSchema = z
  .looseObject({
    /** UUID used in partner API calls; our externalOrderId (BiSU packageId). */
    order_id: z.string().trim().min(1).max(200),
    /** Shown on the platform; customer service uses it (BiSU integrationOrderNumber). */
    external_order_id: id.nullish(),
    order_code: id.nullish(),
    status: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .transform((s) => s.toUpperCase()),
    order_type: z.string().max(64).nullish(),
    transport_type: z.string().max(64).nullish(),
    isPreorder: z.boolean().nullish(),
    comment: text.nullish(),
    accepted_for: z.string().max(64).nullish(),
    promised_for: z.string().max(64).nullish(),
    client: ysClientSchema.nullish(),
    customer: ysCustomerSchema.nullish(),
    items: z.array(ysItemSchema).max(500).nullish(),
    payment: ysPaymentSchema.nullish(),
    cancellation: ysCancellationSchema.nullish(),
    sys: z.looseObject({ created_at: z.string().nullish(), updated_at: z.string().nullish() }).nullish(),
  })
  .superRefine((order, ctx) => {
    if (!(CREATE_STATUSES as readonly string[]).includes(order.status)) return;
    if (!order.client?.store_id && !order.client?.external_partner_config_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['client'],
        message: 'client.store_id or client.external_partner_config_id is required to create an order',
      });
    }
    if (!order.items || order.items.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'an order to create needs items' });
      return;
    }
    order.items.forEach((item, index) => {
      if (!item.sku) ctx.addIssue({ code: 'custom', path: ['items', index, 'sku'], message: 'required' });
      const p = item.pricing;
      if (!p || (p.unit_price == null && p.total_price == null)) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', index, 'pricing'],
          message: 'unit_price or total_price is required',
        });
      }
    });
  });
export type YsOrder = z.infer<typeof ysOrderSchema>;

/** What the route establishes for the worker (stored in the inbox row's meta). */
export const ysEventMetaSchema = z.looseObject({
  /** The category the bearer token belongs to; absent for recovered orders (the warehouse decides). */
  category: z.enum(['market', 'su']).optional(),
  endpoint: z.string().optional(),
  recovered: z.boolean().optional(),
});
export type YsEventMeta = z.infer<typeof ysEventMetaSchema>;
