import { z } from 'zod';

export const RAZORPAY_SOURCE = 'razorpay';
/** Outbox topic: create the Razorpay order of a storefront order. */
export const TOPIC_CREATE_ORDER = 'razorpay.order.create';
/** Outbox topic: refund (part of) a captured payment. */
export const TOPIC_REFUND = 'razorpay.payment.refund';
/** The least amount Razorpay takes an order for, in minor units (₹1.00): it refuses less with a 400. */
export const RAZORPAY_MIN_AMOUNT = 100;

// Razorpay's own sample bodies are untidy: `notes` is `[]` as often as an object, `currency` may be "", and
// fields come and go. Only what we act on is checked; the rest passes through.
const notes = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .nullish()
  .transform((n): Record<string, unknown> => (n && !Array.isArray(n) ? n : {}));
const amount = z.number().int().nonnegative();
const currency = z
  .string()
  .nullish()
  .transform((c) => (c ? c.trim().toUpperCase() : ''));

export const paymentEntity = z.looseObject({
  id: z.string().min(1),
  order_id: z.string().min(1).nullish(),
  amount,
  currency,
  status: z.string().nullish(),
  error_description: z.string().nullish(),
  notes,
});
export const orderEntity = z.looseObject({
  id: z.string().min(1),
  amount,
  currency,
  receipt: z.string().nullish(),
  status: z.string().nullish(),
  notes,
});
export const refundEntity = z.looseObject({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  amount,
  currency,
  status: z.string().nullish(),
  notes,
});

export type RefundEntity = z.infer<typeof refundEntity>;

export const webhookSchema = z.looseObject({
  entity: z.literal('event'),
  event: z.string().min(1).max(100),
  payload: z.looseObject({
    payment: z.looseObject({ entity: paymentEntity }).optional(),
    order: z.looseObject({ entity: orderEntity }).optional(),
    refund: z.looseObject({ entity: refundEntity }).optional(),
  }),
  created_at: z.number().optional(),
});
export type RazorpayWebhook = z.infer<typeof webhookSchema>;

/** `POST /v1/orders`' answer. */
export const createdOrderSchema = z.looseObject({ id: z.string().min(1), amount, currency });
/** `GET /v1/orders`' answer: a collection of orders. */
export const orderListSchema = z.looseObject({
  items: z.array(z.looseObject({ id: z.string().min(1), amount, currency, notes })).max(100),
});
/** `POST /v1/payments/{id}/refund`'s answer. */
export const createdRefundSchema = z.looseObject({ id: z.string().min(1), status: z.string().nullish() });

export const createOrderPayload = z.object({
  orderId: z.uuid(),
  amount: amount.positive(),
  currency: z.string().length(3),
  receipt: z.string().min(1).max(40),
});
export const refundPayload = z.object({
  refundId: z.uuid(),
  paymentId: z.string().min(1),
  amount: amount.positive(),
});
