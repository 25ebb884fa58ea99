import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, YS_MARKET_TOKEN } from './system.js';

/** Stock keeping units the benchmark catalogue holds; orders pick from them so rows rarely contend. */
export const BENCH_SKUS = 2000;
export const BENCH_WAREHOUSE = 'BENCH-WH-1';
/** The Yemeksepeti store id the bench maps to its warehouse (when the YS integration maps stores). */
export const BENCH_YS_STORE = 'bench-store-1';

export function skuOf(n: number): string {
  return `SKU-${(n % BENCH_SKUS).toString().padStart(5, '0')}`;
}

const ITEM_NAMES = ['Pınar Süt 1 L', 'Erikli Su 5 L', 'Eti Browni 40 g', 'Çaykur Rize 1 kg', 'Domates (kg)'];

/**
 * A realistic Yemeksepeti (Delivery Hero picking) order push (the partner picking order body): three items,
 * customer with address, payment block, sys timestamps, a few null and unknown fields. About 2.5 KB.
 */
export function yemeksepetiOrder(seq: number, runId: string): Record<string, unknown> {
  // The order id carries the run id (8 hex digits) so a run's rows can be found with `like 'runid-%'`.
  const orderId = `${runId}-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
  const now = new Date().toISOString();
  const items = [0, 1, 2].map((i) => {
    const unit = 1250 + ((seq + i * 7) % 40) * 100;
    const quantity = 1 + ((seq + i) % 3);
    const sku = skuOf(seq * 3 + i * 17);
    const byKg = i === 2;
    const pricing = {
      pricing_type: byKg ? 'KG' : 'UNIT',
      unit_price: unit / 100,
      total_price: byKg ? (unit * 0.75) / 100 : (unit * quantity) / 100,
      quantity: byKg ? 1 : quantity,
      weight: byKg ? 0.75 : null,
      vat_percent: 8,
    };
    return {
      _id: randomUUID(),
      sku,
      barcode: [`869${(1_000_000_000 + seq * 3 + i).toString()}`],
      name: ITEM_NAMES[(seq + i) % ITEM_NAMES.length],
      status: 'IN_CART',
      pricing,
      original_pricing: pricing,
      replaced_id: null,
    };
  });
  const subTotal = items.reduce((s, i) => s + i.pricing.total_price, 0);
  return {
    order_id: orderId,
    external_order_id: `ys-${runId}-${seq}`,
    order_code: String(100 + (seq % 900)),
    status: 'RECEIVED',
    order_type: 'DELIVERY',
    transport_type: 'LOGISTICS_DELIVERY',
    isPreorder: false,
    comment: 'Zile basmayın lütfen',
    accepted_for: null,
    promised_for: now,
    client: {
      id: 'vendor-bench',
      chain_id: 'chain-bench',
      name: 'Bench Market',
      country_code: 'TR',
      store_id: BENCH_YS_STORE,
      external_partner_config_id: 'partner-cfg-1',
    },
    customer: {
      _id: `cust-${seq % 5000}`,
      first_name: 'Ayşe',
      last_name: 'Yılmaz',
      phone_number: `+90555${(1_000_000 + (seq % 5000)).toString()}`,
      delivery_address: {
        city: 'İstanbul',
        street: 'Bağdat Caddesi',
        number: String(1 + (seq % 300)),
        building: 'A',
        floor: '3',
        apartment: '12',
        zipcode: '34728',
        latitude: 40.9627,
        longitude: 29.0706,
        instructions: 'Kapıda bırakın',
        district: 'Kadıköy',
      },
    },
    items,
    payment: {
      type: 'CARD',
      sub_total: Math.round(subTotal * 100) / 100,
      order_total: Math.round((subTotal + 9.99) * 100) / 100,
      delivery_fee: 9.99,
      service_fee: 0,
      discount: 0,
      total_taxes: Math.round(subTotal * 0.08 * 100) / 100,
      currency: 'TRY',
    },
    cancellation: null,
    sys: { created_at: now, updated_at: now, created_by: 'yemeksepeti', schema_version: 2 },
    extra_unknown_field: { note: 'providers add fields' },
  };
}

/** The same order for the manual channel (`POST /api/orders`): amounts already in minor units. */
export function manualOrder(seq: number, runId: string): Record<string, unknown> {
  return {
    externalOrderId: `man-${runId}-${seq}`,
    currency: 'TRY',
    customer: {
      externalId: `cust-${seq % 5000}`,
      name: 'Ayşe Yılmaz',
      phone: `+90555${(1_000_000 + (seq % 5000)).toString()}`,
    },
    items: [0, 1, 2].map((i) => ({
      sku: skuOf(seq * 3 + i * 17),
      name: ITEM_NAMES[(seq + i) % ITEM_NAMES.length],
      quantity: 1 + ((seq + i) % 3),
      unitPrice: 1250 + ((seq + i * 7) % 40) * 100,
    })),
    shippingTotal: 999,
    warehouse: BENCH_WAREHOUSE,
  };
}

export type Route = 'yemeksepeti' | 'manual';

export const YS_PATH = '/api/v2/yemeksepeti/order/create';
export const MANUAL_PATH = '/api/orders';

export interface PushRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** `like` pattern matching the inbox rows' external_order_id of one run. */
export function externalIdPattern(route: Route, runId: string): string {
  return route === 'yemeksepeti' ? `${runId}-%` : `man-${runId}-%`;
}

/** A run id: 8 hex digits. */
export function newRunId(): string {
  return randomUUID().slice(0, 8);
}

/** One unique order push for the chosen route. */
export function pushRequest(route: Route, seq: number, runId: string): PushRequest {
  if (route === 'yemeksepeti') {
    return {
      path: YS_PATH,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${YS_MARKET_TOKEN}` },
      body: JSON.stringify(yemeksepetiOrder(seq, runId)),
    };
  }
  return {
    path: MANUAL_PATH,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'idempotency-key': `bench-${runId}-${seq}`,
    },
    body: JSON.stringify(manualOrder(seq, runId)),
  };
}

/**
 * The Yemeksepeti route when it exists in this build (a well-formed push answered 2xx), else the manual
 * channel. Decided by asking the running gateway, so the bench follows the code without edits.
 */
export async function pickRoute(baseUrl: string): Promise<Route> {
  const probe = pushRequest('yemeksepeti', 0, randomUUID().slice(0, 8));
  const res = await fetch(`${baseUrl}${probe.path}`, {
    method: 'POST',
    headers: probe.headers,
    body: probe.body,
  }).catch(() => undefined);
  return res && res.status >= 200 && res.status < 300 ? 'yemeksepeti' : 'manual';
}
