/**
 * The GoBiz notification payload, parsed leniently: GoBiz adds fields and sends absent values as null.
 */
import { z } from 'zod';

const nullableString = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v)));
const amount = z.union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/)]).nullish();

const variantSchema = z.looseObject({
  id: nullableString,
  external_id: nullableString,
  name: nullableString,
});

const itemSchema = z.looseObject({
  id: nullableString,
  external_id: nullableString,
  name: nullableString,
  quantity: z.coerce.number().int().positive().nullish(),
  price: amount,
  notes: nullableString,
  variants: z
    .array(variantSchema)
    .nullish()
    .transform((v) => v ?? []),
});

/** An object that may arrive as null or not at all: parsed as `{}` then. */
const orEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => v ?? {}, schema);

/** Lenient: unknown fields pass through, every value may be null or absent. */
export const notificationSchema = z.looseObject({
  header: orEmpty(
    z.looseObject({
      version: z.unknown().optional(),
      event_name: nullableString,
      event_id: nullableString,
      timestamp: nullableString,
    }),
  ),
  body: orEmpty(
    z.looseObject({
      service_type: nullableString,
      outlet: z.looseObject({ id: nullableString, external_outlet_id: nullableString }).nullish(),
      customer: z.looseObject({ id: nullableString, name: nullableString }).nullish(),
      order: z
        .looseObject({
          order_number: nullableString,
          status: nullableString,
          currency: nullableString,
          order_total: amount,
          takeaway_charges: amount,
          cutlery_requested: z.boolean().nullish(),
          created_at: nullableString,
          applied_promotions: z.unknown().optional(),
          order_items: z
            .array(itemSchema)
            .nullish()
            .transform((v) => v ?? []),
          cancellation_detail: z.unknown().optional(),
        })
        .nullish(),
    }),
  ),
});
export type GofoodNotification = z.infer<typeof notificationSchema>;
