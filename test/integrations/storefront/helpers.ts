import { sign } from 'hono/jwt';
import { FakeRazorpay, paymentEvent, sendWebhook } from '../../support/fake-razorpay.js';
import { postJson, startTestSystem, type TestSystem, waitFor } from '../../support/system.js';

export const JWT_SECRET = 'storefront-jwt-secret-0123456789abcdef';

export interface Storefront {
  system: TestSystem;
  razorpay: FakeRazorpay;
  stop(): Promise<void>;
}

export async function startStorefront(env: Record<string, string> = {}): Promise<Storefront> {
  const razorpay = new FakeRazorpay();
  await razorpay.start();
  const system = await startTestSystem({
    env: {
      ...razorpay.env(),
      STOREFRONT_JWT_SECRET: JWT_SECRET,
      STOREFRONT_SHIPPING_FEE: '5000',
      STOREFRONT_FREE_SHIPPING_FROM: '100000',
      STOREFRONT_CHECKOUT_LIMIT_PER_CUSTOMER: '5',
      STOREFRONT_CHECKOUT_LIMIT_PER_IP: '1000',
      OUTBOUND_ATTEMPTS: '3',
      ...env,
    },
  });
  await expectOk(
    system.admin('/admin/warehouses/storefront', json('PUT', { category: 'market', name: 'Web store' })),
  );
  return {
    system,
    razorpay,
    stop: async () => {
      await system.stop();
      await razorpay.close();
    },
  };
}

export function json(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export async function expectOk(res: Promise<Response>): Promise<unknown> {
  const r = await res;
  if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
  return r.json();
}

export function customerToken(sub: string): Promise<string> {
  return sign({ sub, exp: Math.floor(Date.now() / 1000) + 3600 }, JWT_SECRET, 'HS256');
}

/** Catalog entries and their stock (units). */
export async function stock(
  system: TestSystem,
  items: { sku: string; price: number; gstRate: number; onHand: number }[],
): Promise<void> {
  for (const item of items) {
    await expectOk(
      system.admin(
        `/admin/catalog/${item.sku}`,
        json('PUT', { name: `Item ${item.sku}`, price: item.price, gstRate: item.gstRate }),
      ),
    );
  }
  await expectOk(
    system.admin(
      '/admin/warehouses/storefront/stock',
      json('PUT', { items: items.map((i) => ({ sku: i.sku, onHand: i.onHand })) }),
    ),
  );
}

/** A SKU's stock in the storefront warehouse. */
export function stockOf(system: TestSystem, sku: string) {
  return system.db
    .selectFrom('stock_levels')
    .select(['on_hand', 'reserved'])
    .where('warehouse_code', '=', 'storefront')
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
}

const address = {
  name: 'Asha Rao',
  line1: '12 MG Road',
  city: 'Bengaluru',
  postalCode: '560001',
  country: 'IN',
};

export function checkoutBody(
  items: { sku: string; quantity: number }[],
  extra: Record<string, unknown> = {},
) {
  return {
    items,
    shippingAddress: address,
    billingAddress: address,
    customer: { name: 'Asha Rao', email: 'asha@example.in' },
    ...extra,
  };
}

export async function checkout(
  system: TestSystem,
  sub: string,
  body: unknown,
  key = `key-${Math.random().toString(36).slice(2)}`,
): Promise<Response> {
  return postJson(`${system.baseUrl}/storefront/checkout`, body, {
    authorization: `Bearer ${await customerToken(sub)}`,
    'idempotency-key': key,
  });
}

export async function customerGet(system: TestSystem, sub: string, path: string): Promise<Response> {
  return fetch(`${system.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${await customerToken(sub)}` },
  });
}

export interface CheckoutOutcome {
  orderId: string;
  status: 'created' | 'failed';
  reason?: string;
}

/** Checks out and waits until the status URL has the outcome. */
export async function placeOrder(
  system: TestSystem,
  sub: string,
  items: { sku: string; quantity: number }[],
  extra: Record<string, unknown> = {},
): Promise<CheckoutOutcome> {
  const res = await checkout(system, sub, checkoutBody(items, extra));
  if (res.status !== 202) throw new Error(`checkout ${res.status} ${await res.text()}`);
  const { statusUrl } = (await res.json()) as { statusUrl: string };
  return waitFor(async () => {
    const status = (await (await customerGet(system, sub, statusUrl)).json()) as
      | CheckoutOutcome
      | { status: 'processing' };
    return status.status === 'processing' ? undefined : status;
  });
}

export interface AdminOrder {
  id: string;
  orderNumber: string;
  status: string;
  paymentStatus: string;
  total: number;
  refundedTotal: number;
  attentionReason: string | null;
  attributes: Record<string, unknown>;
  items: { sku: string; unitPrice: number; totalPrice: number; metadata: Record<string, unknown> }[];
  timeline: {
    type: string;
    toStatus: string | null;
    actor: string;
    message: string;
    metadata: Record<string, unknown>;
  }[];
  [key: string]: unknown;
}

export async function adminOrder(system: TestSystem, id: string): Promise<AdminOrder> {
  return (await expectOk(system.admin(`/admin/orders/${id}`))) as AdminOrder;
}

/** The Razorpay order the gateway created for our order (waits for the outbox). */
export async function razorpayOrderOf(sf: Storefront, orderId: string) {
  const { orderNumber } = await adminOrder(sf.system, orderId);
  return waitFor(() => sf.razorpay.orderFor(orderNumber));
}

/** Pays the order in full through a `payment.captured` webhook and waits for the confirmation. */
export async function payOrder(sf: Storefront, orderId: string, paymentId: string): Promise<void> {
  const rz = await waitFor(async () => {
    const row = await sf.system.db
      .selectFrom('razorpay_orders')
      .selectAll()
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    return row;
  });
  const res = await sendWebhook(
    sf.system.baseUrl,
    paymentEvent('payment.captured', { paymentId, razorpayOrderId: rz.razorpay_order_id, amount: rz.amount }),
  );
  if (res.status !== 202) throw new Error(`webhook ${res.status}`);
  await waitFor(async () => (await adminOrder(sf.system, orderId)).status === 'confirmed');
}
