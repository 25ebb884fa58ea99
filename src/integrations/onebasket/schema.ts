/**
 * What OneBasket and its provider systems send us, and what we send them. Basket events are validated
 * leniently (unknown fields pass, and the raw body is what is stored); money is integer minor units.
 */
import { z } from 'zod';

export const ONEBASKET_SOURCE = 'onebasket';

export const basketEventTypes = [
  'BasketCreated',
  'BasketUpdated',
  'BasketDeleted',
  'PaymentIntentCreated',
  'PaymentIntentDeleted',
  'BasketComplete',
] as const;
export type BasketEventType = (typeof basketEventTypes)[number];

const id = z.string().trim().min(1).max(200);
const minor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const basketItemSchema = z.looseObject({
  sku: id,
  name: z.string().max(500),
  quantity: z.number().int().positive().max(1_000_000),
  unitPrice: minor,
});

export const providerBasketSchema = z.looseObject({
  providerId: id,
  items: z.array(basketItemSchema).max(500),
});

export const basketSchema = z.looseObject({
  id,
  customer: z
    .looseObject({
      id: id.nullish(),
      name: z.string().max(500).nullish(),
      email: z.string().max(320).nullish(),
      phone: z.string().max(64).nullish(),
    })
    .nullish(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'ISO 4217 code'),
  providerBaskets: z.array(providerBasketSchema).max(100).default([]),
  paymentIntent: z.looseObject({ id, amount: minor }).nullish(),
});
export type Basket = z.infer<typeof basketSchema>;

/** The envelope the webhook checks before storing: enough to deduplicate and to find the basket. */
export const basketEventEnvelope = z.looseObject({
  eventId: id,
  type: z.string().trim().min(1).max(100),
  occurredAt: z.iso.datetime({ offset: true }),
  basket: z.looseObject({ id }),
});

export const basketEventSchema = basketEventEnvelope.extend({ basket: basketSchema });
export type BasketEvent = z.infer<typeof basketEventSchema>;

export const providerEventTypes = [
  'confirmed',
  'rejected',
  'received',
  'in_progress',
  'ready',
  'fulfilled',
] as const;
export type ProviderEventType = (typeof providerEventTypes)[number];

export const providerEventSchema = z.looseObject({
  eventId: id,
  providerOrderId: z.uuid(),
  type: z.enum(providerEventTypes),
  reason: z.string().max(1000).nullish(),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type ProviderEvent = z.infer<typeof providerEventSchema>;

export const providerIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore (at most 64)');

export const providerBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    baseUrl: z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, '')),
    callbackToken: z.string().min(16, 'must be at least 16 characters').max(500),
    supportsCallbacks: z.boolean(),
  })
  .strict();
export type ProviderInput = z.infer<typeof providerBody>;

/** A provider's answer to `POST /orders`. */
export const providerOrderAnswer = z.looseObject({
  externalRef: z.string().trim().min(1).max(200),
  status: z.enum(['confirmed', 'pending']),
});

/** The `{reason}` of a provider's refusal (409 to a lock, 409/422 to an order); anything else has none. */
export const refusalBody = z.looseObject({ reason: z.string().max(1000) });

// Outbox payloads (one message per provider).
export const lockMessage = z.object({ basketId: id, providerId: id, paymentIntentId: id });
export type LockMessage = z.infer<typeof lockMessage>;
export const dispatchMessage = z.object({ providerOrderId: z.uuid() });
