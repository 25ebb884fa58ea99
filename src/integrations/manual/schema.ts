import { z } from 'zod';

export const MANUAL_SOURCE = 'manual';

const minor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A storefront / operator order: amounts in minor units of `currency`. */
export const manualOrderSchema = z
  .object({
    externalOrderId: z.string().trim().min(1).max(200),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'ISO 4217 code')
      .transform((c) => c.toUpperCase()),
    customer: z
      .object({
        externalId: z.string().trim().min(1).max(200).optional(),
        name: z.string().trim().min(1).max(200).optional(),
        phone: z.string().trim().min(3).max(40).optional(),
        email: z.email().max(320).optional(),
      })
      .optional(),
    items: z
      .array(
        z.object({
          sku: z.string().trim().min(1).max(100),
          name: z.string().trim().min(1).max(300),
          quantity: z.number().int().positive().max(100_000),
          unitPrice: minor,
        }),
      )
      .min(1)
      .max(500),
    shippingTotal: minor.optional(),
    discountTotal: minor.optional(),
    /** Reserve the items in this warehouse's stock. */
    warehouse: z.string().trim().min(1).max(64).optional(),
    /** Already paid at the storefront: the order starts confirmed. */
    paid: z.boolean().optional(),
  })
  .strict();
export type ManualOrder = z.infer<typeof manualOrderSchema>;
