/**
 * A fake GoBiz over real HTTP: the OAuth2 client-credentials endpoint (`POST /oauth2/token`) and the order
 * API (`PUT /integrations/gofood/outlets/:outletId/v1/orders/:fulfilment/:orderNumber/{accepted|cancelled|
 * food-prepared}`), both with FakeProvider's fault injection, plus helpers to sign and send notifications
 * the way GoBiz does.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { type FakeOAuth, FakeProvider, type FakeRequest, type FakeRoute } from './fake-provider.js';

export const GOBIZ_CLIENT_ID = 'gobiz-partner-client';
export const GOBIZ_CLIENT_SECRET = 'gobiz_cs_5f4e3d2c1b0a9988';
export const GOFOOD_NOTIFICATION_SECRET = 'gofood-notification-secret-0123456789';

const ORDER_PATH = '/integrations/gofood/outlets/:outletId/v1/orders/:fulfilment/:orderNumber';

export class FakeGoBiz {
  readonly provider = new FakeProvider();
  readonly oauth: FakeOAuth;
  readonly accepted: FakeRoute;
  readonly cancelled: FakeRoute;
  readonly foodPrepared: FakeRoute;

  constructor() {
    this.oauth = this.provider.oauth({
      path: '/oauth2/token',
      clientId: GOBIZ_CLIENT_ID,
      clientSecret: GOBIZ_CLIENT_SECRET,
    });
    const ok = () => ({ body: { success: true } });
    const validFulfilment = (req: FakeRequest) =>
      req.params.fulfilment === 'delivery' || req.params.fulfilment === 'pickup'
        ? undefined
        : { status: 404, body: { errors: [{ message: 'unknown service' }] } };
    this.accepted = this.provider.route(
      'PUT',
      `${ORDER_PATH}/accepted`,
      this.oauth.protect((req) => validFulfilment(req) ?? ok()),
    );
    this.cancelled = this.provider.route(
      'PUT',
      `${ORDER_PATH}/cancelled`,
      this.oauth.protect((req) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const codes = ['HIGH_DEMAND', 'RESTAURANT_CLOSED', 'ITEMS_OUT_OF_STOCK', 'OTHERS'];
        if (!codes.includes(String(body.cancel_reason_code))) {
          return { status: 422, body: { errors: [{ message: 'invalid cancel_reason_code' }] } };
        }
        return validFulfilment(req) ?? ok();
      }),
    );
    this.foodPrepared = this.provider.route(
      'PUT',
      `${ORDER_PATH}/food-prepared`,
      this.oauth.protect((req) => validFulfilment(req) ?? ok()),
    );
  }

  start(port = 0): Promise<string> {
    return this.provider.start(port);
  }

  get baseUrl(): string {
    return this.provider.baseUrl;
  }

  /** The gateway env pointing the GoBiz client at this fake. */
  env(): Record<string, string> {
    return {
      GOFOOD_NOTIFICATION_SECRET,
      GOFOOD_OAUTH_URL: this.baseUrl,
      GOFOOD_API_URL: this.baseUrl,
      GOFOOD_CLIENT_ID: GOBIZ_CLIENT_ID,
      GOFOOD_CLIENT_SECRET: GOBIZ_CLIENT_SECRET,
    };
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}

export function signGofood(rawBody: string, secret = GOFOOD_NOTIFICATION_SECRET): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export interface OrderSpec {
  orderNumber: string;
  outletId?: string;
  serviceType?: 'gofood' | 'gofood_pickup';
  currency?: string;
}

export type GofoodEventName =
  | 'awaiting_merchant_acceptance'
  | 'merchant_accepted'
  | 'driver_otw_pickup'
  | 'driver_arrived'
  | 'completed'
  | 'cancelled'
  | 'placed';

const statusFor: Record<GofoodEventName, string> = {
  awaiting_merchant_acceptance: 'AWAITING_MERCHANT_ACCEPTANCE',
  merchant_accepted: 'MERCHANT_ACCEPTED',
  driver_otw_pickup: 'DRIVER_OTW_PICKUP',
  driver_arrived: 'DRIVER_ARRIVED',
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
  placed: 'PLACED',
};

/** A GoBiz notification as GoBiz documents it, with null where GoBiz leaves values out. */
export function gofoodNotification(
  event: GofoodEventName,
  spec: OrderSpec,
  eventId: string = randomUUID(),
): Record<string, unknown> {
  return {
    header: {
      version: 1,
      timestamp: new Date().toISOString(),
      event_name: `gofood.order.${event}`,
      event_id: eventId,
    },
    body: {
      service_type: spec.serviceType ?? 'gofood',
      outlet: { id: spec.outletId ?? 'G813100998', external_outlet_id: '5023' },
      customer: { id: 'cust-8f1c', name: 'Budi Santoso' },
      driver: event === 'awaiting_merchant_acceptance' ? null : { name: 'Agus' },
      order: {
        takeaway_charges: 2000,
        status: statusFor[event],
        pin: '8762',
        order_total: '96500.00',
        currency: spec.currency ?? 'IDR',
        order_number: spec.orderNumber,
        cutlery_requested: true,
        created_at: new Date().toISOString(),
        applied_promotions: null,
        order_items: [
          {
            variants: [],
            quantity: 1,
            price: 49000,
            notes: '',
            name: 'Golden Combo 1',
            id: 'c4e0ab36-ca86-41c7-8788-00d6dfacd2bd',
            external_id: 'SKU-COMBO',
          },
          {
            variants: [
              { name: 'Extra spicy', id: '723ed571-b4c5-40de-9710-75291a249413', external_id: 'V-SPICY' },
            ],
            quantity: 2,
            price: 25000.5,
            notes: 'no onions',
            name: 'Ayam Geprek',
            id: '8eb6e45f-946e-49d2-9a29-f906c030b5c6',
            external_id: 'SKU-AYAM',
          },
        ],
        cancellation_detail: event === 'cancelled' ? { reason: 'DRIVER_CANNOT_FIND_CUSTOMER' } : null,
        some_future_field: { added: 'later' },
      },
    },
  };
}

/** POSTs a notification to the gateway signed like GoBiz (override `signature`/`idempotencyKey` to test). */
export function sendGofood(
  baseUrl: string,
  notification: unknown,
  options: { signature?: string | null; idempotencyKey?: string | null; raw?: string } = {},
): Promise<Response> {
  const raw = options.raw ?? JSON.stringify(notification);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.signature === undefined ? signGofood(raw) : options.signature;
  if (signature !== null) headers['x-go-signature'] = signature;
  if (options.idempotencyKey) headers['x-go-idempotency-key'] = options.idempotencyKey;
  return fetch(`${baseUrl}/webhooks/gofood`, { method: 'POST', headers, body: raw });
}
