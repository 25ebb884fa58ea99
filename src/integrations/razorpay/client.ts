/**
 * The Razorpay API calls we make: find or create an order, refund a payment. Over the shared outbound HTTP layer
 * (timeouts, retry verdicts, Retry-After); nothing here retries: the outbound queue does.
 */

import type { z } from 'zod';
import type { Config } from '../../config.js';
import { basicAuthHeader, providerRequest } from '../http.js';
import { createdOrderSchema, createdRefundSchema, orderListSchema } from './schema.js';

export const RAZORPAY_PROVIDER = 'razorpay';

export interface RazorpayApi {
  /** The orders created with this receipt (`GET /v1/orders?receipt=`), newest first. */
  ordersByReceipt(
    receipt: string,
  ): Promise<{ id: string; amount: number; currency: string; notes: Record<string, unknown> }[]>;
  createOrder(
    input: { amount: number; currency: string; receipt: string; notes: Record<string, string> },
    idempotencyKey: string,
  ): Promise<{ id: string; amount: number; currency: string }>;
  refundPayment(
    paymentId: string,
    input: { amount: number; notes: Record<string, string> },
    idempotencyKey: string,
  ): Promise<{ id: string; status?: string | null | undefined }>;
}

/** The client for the configured account, or undefined when its credentials are not set. */
export function razorpayClient(config: Config): RazorpayApi | undefined {
  const keyId = config.RAZORPAY_KEY_ID;
  const keySecret = config.RAZORPAY_KEY_SECRET;
  if (!keyId || !keySecret) return undefined;
  const base = config.RAZORPAY_API_URL;
  const authorization = basicAuthHeader(keyId, keySecret);
  const post = <T>(path: string, json: unknown, idempotencyKey: string, schema: z.ZodType<T>) =>
    providerRequest({
      provider: RAZORPAY_PROVIDER,
      method: 'POST',
      url: `${base}${path}`,
      headers: { authorization },
      json,
      idempotencyKey,
      redact: [keySecret],
      schema,
    }).then((r) => r.data);
  return {
    ordersByReceipt: (receipt) =>
      providerRequest({
        provider: RAZORPAY_PROVIDER,
        method: 'GET',
        url: `${base}/v1/orders?receipt=${encodeURIComponent(receipt)}`,
        headers: { authorization },
        redact: [keySecret],
        schema: orderListSchema,
      }).then((r) => r.data.items),
    createOrder: (input, key) => post('/v1/orders', input, key, createdOrderSchema),
    refundPayment: (paymentId, input, key) =>
      post(`/v1/payments/${encodeURIComponent(paymentId)}/refund`, input, key, createdRefundSchema),
  };
}
