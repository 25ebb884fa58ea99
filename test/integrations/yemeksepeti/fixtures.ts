import { randomUUID } from 'node:crypto';

export const CHAIN_ID = 'chain-bisu-tr';
export const MARKET_STORE = 'ys-store-kadikoy-01';
export const MARKET_VENDOR = 'vendor-kadikoy';
export const SU_STORE = 'ys-store-su-uskudar';
export const MARKET_TOKEN = 'ys-market-token-0123456789abcdef';
export const SU_TOKEN = 'ys-su-token-fedcba9876543210';

type Json = Record<string, unknown>;

/**
 * A realistic Yemeksepeti Mahalle order body: a KG-priced item, Turkish text, nulls where the platform
 * sends them and fields we do not know.
 */
export function ysOrder(overrides: Json = {}): Json {
  const orderId = randomUUID();
  return {
    order_id: orderId,
    external_order_id: `y2tr-${orderId.slice(0, 8)}`,
    order_code: '4821',
    status: 'RECEIVED',
    order_type: 'DELIVERY',
    transport_type: 'LOGISTICS_DELIVERY',
    isPreorder: false,
    comment: 'Zili çalmayın, bebek uyuyor. Kapıya bırakın lütfen — teşekkürler!',
    accepted_for: null,
    promised_for: '2026-11-24T12:45:00Z',
    client: {
      id: MARKET_VENDOR,
      chain_id: CHAIN_ID,
      name: 'BiSU Kadıköy Şubesi',
      country_code: 'tr',
      store_id: MARKET_STORE,
      external_partner_config_id: null,
      brand_new_field: { nested: true },
    },
    customer: {
      _id: 'ys-cust-00042',
      first_name: 'Çağrı',
      last_name: 'Güneşoğlu',
      phone_number: '+905321112233',
      delivery_address: {
        city: 'İstanbul',
        street: 'Moda Caddesi',
        number: '12/3',
        building: null,
        floor: '2',
        apartment: null,
        zipcode: '34710',
        latitude: 40.987,
        longitude: 29.025,
        instructions: 'Şişli değil, Kadıköy!',
        district: 'Caferağa',
      },
      email: null,
    },
    items: [
      {
        _id: 'item-1',
        sku: 'SU-19L',
        barcode: ['8690000000019'],
        name: 'Damacana Su 19 L',
        status: 'NOT_PROCESSED',
        pricing: {
          pricing_type: 'UNIT',
          unit_price: 45.5,
          total_price: 91,
          quantity: 2,
          weight: null,
          vat_percent: 1,
        },
        original_pricing: null,
        replacement_preferences: null,
      },
      {
        _id: 'item-2',
        sku: 'PEYNIR-KG',
        barcode: [],
        name: 'Ezine Beyaz Peynir (kg)',
        status: 'NOT_PROCESSED',
        pricing: {
          pricing_type: 'KG',
          unit_price: '289.90',
          total_price: '217.43',
          quantity: 1,
          weight: 0.75,
          vat_percent: 10,
        },
        original_pricing: {
          pricing_type: 'KG',
          unit_price: 289.9,
          total_price: 217.43,
          quantity: 1,
          weight: 0.75,
        },
      },
    ],
    payment: {
      type: 'ONLINE',
      sub_total: 308.43,
      order_total: 323.42,
      delivery_fee: 9.99,
      service_fee: 5,
      discount: 0,
      total_taxes: 20.67,
      currency: 'TRY',
      voucher: null,
    },
    cancellation: null,
    sys: { created_at: new Date().toISOString(), updated_at: null, created_by: 'picking-api' },
    unexpected_top_level: ['kept', 'as', 'is'],
    ...overrides,
  };
}

/** The same order with a new status (a new body, hence a new event). */
export function withStatus(order: Json, status: string, extra: Json = {}): Json {
  return {
    ...order,
    status,
    sys: { ...(order.sys as Json), updated_at: new Date().toISOString() },
    ...extra,
  };
}
