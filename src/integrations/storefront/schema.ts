import { z } from 'zod';

export const STOREFRONT_SOURCE = 'storefront';
export const CHECKOUT_EVENT = 'checkout';

const text = (max: number) => z.string().trim().min(1).max(max);
const minor = z.number().int().nonnegative().max(1e12);

export const skuSchema = text(100).regex(/^[\w.:-]+$/, 'letters, digits, _ . : -');
export const discountCodeSchema = text(64)
  .regex(/^[\w-]+$/, 'letters, digits, _ -')
  .transform((c) => c.toUpperCase());

export const addressSchema = z
  .object({
    name: text(200),
    line1: text(300),
    line2: z.string().trim().max(300).optional(),
    city: text(100),
    state: z.string().trim().max(100).optional(),
    postalCode: text(20),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2 code')
      .transform((c) => c.toUpperCase()),
    phone: z.string().trim().min(3).max(40).optional(),
  })
  .strict();

/** `POST /storefront/checkout`'s body. */
export const checkoutBody = z
  .object({
    items: z
      .array(z.object({ sku: skuSchema, quantity: z.number().int().positive().max(1000) }).strict())
      .min(1)
      .max(100)
      .superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (seen.has(item.sku))
            ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: `duplicate sku ${item.sku}` });
          seen.add(item.sku);
        });
      }),
    discountCode: discountCodeSchema.optional(),
    shippingAddress: addressSchema,
    billingAddress: addressSchema,
    customer: z
      .object({
        name: text(200),
        email: z.email().max(320),
        phone: z.string().trim().min(3).max(40).optional(),
      })
      .strict(),
  })
  .strict();
export type CheckoutBody = z.infer<typeof checkoutBody>;

/** The inbox payload of a checkout: the body, the order id it was answered with and the customer's id. */
export const checkoutEvent = checkoutBody.extend({ orderId: z.uuid(), customerId: text(200) });
export type CheckoutEvent = z.infer<typeof checkoutEvent>;

/** `PUT /admin/catalog/:sku`. `gstRate` is a percentage with at most two decimals (18, 0.25). */
export const catalogBody = z
  .object({
    name: text(300),
    price: minor,
    gstRate: z
      .number()
      .min(0)
      .max(100)
      .refine(
        (r) => Number.isInteger(Math.round(r * 100)) && Math.abs(r * 100 - Math.round(r * 100)) < 1e-9,
        {
          message: 'at most two decimals',
        },
      ),
  })
  .strict();

/** `PUT /admin/discounts/:code`. */
export const discountBody = z
  .object({
    kind: z.enum(['percent', 'fixed']),
    value: z.number().int().positive().max(1e12),
    minSubtotal: minor.optional(),
    active: z.boolean(),
  })
  .strict()
  .refine((d) => d.kind !== 'percent' || d.value <= 100, {
    message: 'a percent is at most 100',
    path: ['value'],
  });

export const shipmentBody = z.object({ carrier: text(100), trackingNumber: text(100) }).strict();
export const noteBody = z.object({ note: text(2000), isPublic: z.boolean() }).strict();
export const customerRefundBody = z
  .object({ amount: z.number().int().positive().max(1e12), reason: z.string().trim().min(3).max(500) })
  .strict();
export const adminRefundBody = customerRefundBody.extend({
  initiatePaymentRefund: z.boolean().default(false),
});
export const cancelReasonBody = z.object({ reason: z.string().trim().min(3).max(500).optional() }).strict();
