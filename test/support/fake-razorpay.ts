/**
 * A fake Razorpay over real HTTP: `POST /v1/orders`, `GET /v1/orders?receipt=` and
 * `POST /v1/payments/:id/refund` behind basic auth
 * (key id : key secret), with FakeProvider's fault injection, plus helpers that sign and send webhooks the way
 * Razorpay does (`X-Razorpay-Signature`: hex HMAC-SHA256 of the raw body; `X-Razorpay-Event-Id`).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { FakeProvider, type FakeRequest, type FakeRoute } from './fake-provider.js';

export const RAZORPAY_KEY_ID = 'rzp_test_1DP5mmOlF5G5ag';
export const RAZORPAY_KEY_SECRET = 'rzp-key-secret-0123456789';
export const RAZORPAY_WEBHOOK_SECRET = 'rzp-webhook-secret-0123456789';

export class FakeRazorpay {
  readonly provider = new FakeProvider();
  readonly orders: FakeRoute;
  readonly orderList: FakeRoute;
  readonly refunds: FakeRoute;
  /** Razorpay order id → the order as created. */
  readonly created = new Map<
    string,
    { amount: number; currency: string; receipt: string; notes: Record<string, unknown> }
  >();
  private seq = 0;

  constructor() {
    const authorized = (req: FakeRequest) =>
      req.headers.authorization ===
      `Basic ${Buffer.from(`${RAZORPAY_KEY_ID}:${RAZORPAY_KEY_SECRET}`).toString('base64')}`;
    const unauthorized = {
      status: 401,
      body: { error: { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' } },
    };
    this.orders = this.provider.route('POST', '/v1/orders', (req) => {
      if (!authorized(req)) return unauthorized;
      const body = req.body as { amount?: unknown; currency?: unknown; receipt?: unknown };
      if (typeof body.amount !== 'number' || body.amount < 100) {
        return {
          status: 400,
          body: { error: { code: 'BAD_REQUEST_ERROR', description: 'amount too small' } },
        };
      }
      const id = `order_${(++this.seq).toString().padStart(14, '0')}`;
      const notes = (req.body as { notes?: Record<string, unknown> }).notes ?? {};
      const order = { amount: body.amount, currency: String(body.currency), receipt: String(body.receipt) };
      this.created.set(id, { ...order, notes });
      return { body: { id, entity: 'order', ...order, status: 'created', notes } };
    });
    this.orderList = this.provider.route('GET', '/v1/orders', (req) => {
      if (!authorized(req)) return unauthorized;
      const items = [...this.created]
        .filter(([, order]) => req.query.receipt === undefined || order.receipt === req.query.receipt)
        .reverse()
        .map(([id, order]) => ({ id, entity: 'order', ...order, status: 'created' }));
      return { body: { entity: 'collection', count: items.length, items } };
    });
    this.refunds = this.provider.route('POST', '/v1/payments/:paymentId/refund', (req) => {
      if (!authorized(req)) return unauthorized;
      const body = req.body as { amount?: number };
      return {
        body: {
          id: `rfnd_${(++this.seq).toString().padStart(14, '0')}`,
          entity: 'refund',
          amount: body.amount,
          payment_id: req.params.paymentId,
          status: 'pending',
        },
      };
    });
  }

  start(): Promise<string> {
    return this.provider.start();
  }

  env(): Record<string, string> {
    return {
      RAZORPAY_API_URL: this.provider.baseUrl,
      RAZORPAY_KEY_ID,
      RAZORPAY_KEY_SECRET,
      RAZORPAY_WEBHOOK_SECRET,
    };
  }

  /** The Razorpay order created for our order number. */
  orderFor(receipt: string): { id: string; amount: number; currency: string } | undefined {
    for (const [id, order] of this.created) if (order.receipt === receipt) return { id, ...order };
    return undefined;
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}

export interface PaymentFields {
  paymentId: string;
  razorpayOrderId: string;
  amount: number;
  currency?: string;
  /** The Razorpay order's `receipt` and `notes` in `order.paid` (ours carry our order number and id). */
  receipt?: string;
  orderNotes?: Record<string, string>;
}

/** A webhook body in Razorpay's shape, untidy the way its samples are (`notes: []`). */
export function paymentEvent(event: string, p: PaymentFields): Record<string, unknown> {
  const payment = {
    id: p.paymentId,
    entity: 'payment',
    amount: p.amount,
    currency: p.currency ?? 'INR',
    status: event === 'payment.failed' ? 'failed' : 'captured',
    order_id: p.razorpayOrderId,
    method: 'upi',
    notes: [],
    ...(event === 'payment.failed' ? { error_description: 'Payment was declined by the bank' } : {}),
  };
  const payload: Record<string, unknown> = { payment: { entity: payment } };
  if (event === 'order.paid') {
    payload.order = {
      entity: {
        id: p.razorpayOrderId,
        entity: 'order',
        amount: p.amount,
        currency: 'INR',
        status: 'paid',
        ...(p.receipt === undefined ? {} : { receipt: p.receipt }),
        notes: p.orderNotes ?? [],
      },
    };
  }
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event,
    contains: Object.keys(payload),
    payload,
    created_at: 1_767_000_000,
  };
}

/** `refund.processed`; with `razorpayOrderId`, carrying its payment as Razorpay's own events do. */
export function refundEvent(refund: {
  id: string;
  paymentId: string;
  amount: number;
  refundId?: string;
  razorpayOrderId?: string;
}) {
  const payment =
    refund.razorpayOrderId === undefined
      ? {}
      : {
          payment: {
            entity: {
              id: refund.paymentId,
              entity: 'payment',
              amount: refund.amount,
              currency: 'INR',
              status: 'refunded',
              order_id: refund.razorpayOrderId,
              notes: [],
            },
          },
        };
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event: 'refund.processed',
    contains: ['refund', 'payment'],
    payload: {
      refund: {
        entity: {
          id: refund.id,
          entity: 'refund',
          amount: refund.amount,
          currency: 'INR',
          payment_id: refund.paymentId,
          notes: refund.refundId ? { refundId: refund.refundId } : [],
          status: 'processed',
        },
      },
      ...payment,
    },
    created_at: 1_767_000_100,
  };
}

/** POSTs a webhook signed with the webhook secret (or `signature`), under `eventId` (a fresh one by default). */
export function sendWebhook(
  baseUrl: string,
  body: unknown,
  options: { eventId?: string; signature?: string; secret?: string } = {},
): Promise<Response> {
  const raw = JSON.stringify(body);
  const signature =
    options.signature ??
    createHmac('sha256', options.secret ?? RAZORPAY_WEBHOOK_SECRET)
      .update(raw)
      .digest('hex');
  return fetch(`${baseUrl}/webhooks/razorpay`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-razorpay-signature': signature,
      'x-razorpay-event-id': options.eventId ?? `evt_${randomUUID().replaceAll('-', '').slice(0, 14)}`,
    },
    body: raw,
  });
}
