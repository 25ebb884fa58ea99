import { randomUUID } from 'node:crypto';
import { MARKET_TOKEN, SU_TOKEN, ysOrder } from '../integrations/yemeksepeti/fixtures.js';
import { GOFOOD_NOTIFICATION_SECRET, gofoodNotification, signGofood } from '../support/fake-gobiz.js';
import { basketEvent, ONEBASKET_SECRET, onebasketEnv, signOnebasket } from '../support/fake-onebasket.js';
import { TEST_ADMIN_TOKEN } from '../support/system.js';

/**
 * Every public endpoint that accepts a JSON body, described once so each property in the fuzz suite runs
 * against all of them. A new integration adds one entry (and its env) here.
 */
export interface JsonEndpoint {
  name: string;
  path: string;
  /** Headers that make exactly these bytes authentic (admin token, or a signature over `raw`). */
  authentic(raw: string): Record<string, string>;
  /** A fresh valid body; `seq` keeps ids unique. */
  validBody(seq: number): unknown;
  /** Credentials that must be refused with 401/403, given the raw body that is sent. */
  badCredentials: { name: string; headers(raw: string): Record<string, string> }[];
  /** Changes the endpoint's schema must refuse (the result is never a valid body). */
  invalidMutations: { name: string; apply(body: unknown): unknown }[];
  /**
   * The endpoint stores any authentic JSON object (for the worker to judge and flag) rather than lose an
   * event the provider will not resend: random objects may be accepted, but never with a 5xx.
   */
  lenient?: boolean;
  /** The header that carries the credential: random values in it are refused. */
  credentialHeader: string;
  /** The credentials cover the body (a signature): authentic headers sent with another body are refused. */
  signsBody?: boolean;
}

/** Env every fuzzed system needs (secrets and tokens of the integrations under test). */
export const fuzzEnv: Record<string, string> = {
  GOFOOD_NOTIFICATION_SECRET,
  YEMEKSEPETI_MARKET_TOKEN: MARKET_TOKEN,
  YEMEKSEPETI_SU_TOKEN: SU_TOKEN,
  ...onebasketEnv,
};

const json = { 'content-type': 'application/json' };

function set(body: unknown, apply: (b: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  apply(copy);
  return copy;
}

function firstItem(b: Record<string, unknown>): Record<string, unknown> {
  const items = b.items as Record<string, unknown>[];
  return items[0] ?? {};
}

const manualOrders: JsonEndpoint = {
  name: 'POST /api/orders (manual)',
  path: '/api/orders',
  credentialHeader: 'authorization',
  authentic: () => ({
    ...json,
    authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
    'idempotency-key': `fuzz-${randomUUID()}`,
  }),
  validBody: (seq) => ({
    externalOrderId: `fuzz-${seq}-${randomUUID().slice(0, 8)}`,
    currency: 'TRY',
    customer: { externalId: 'c-1', name: 'Ayşe Yılmaz', phone: '+905551112233', email: 'a@example.com' },
    items: [
      { sku: 'SKU-1', name: 'Çay', quantity: 2, unitPrice: 12_550 },
      { sku: 'SKU-2', name: 'Su', quantity: 1, unitPrice: 4_000 },
    ],
    shippingTotal: 1_000,
    paid: false,
  }),
  badCredentials: [
    { name: 'no Authorization header', headers: () => ({ ...json, 'idempotency-key': `k-${randomUUID()}` }) },
    {
      name: 'a wrong bearer token',
      headers: () => ({
        ...json,
        authorization: 'Bearer not-the-admin-token-at-all',
        'idempotency-key': `k-${randomUUID()}`,
      }),
    },
    {
      name: 'the admin token with a different scheme',
      headers: () => ({
        ...json,
        authorization: `Basic ${TEST_ADMIN_TOKEN}`,
        'idempotency-key': `k-${randomUUID()}`,
      }),
    },
    {
      name: 'a prefix of the admin token',
      headers: () => ({
        ...json,
        authorization: `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}`,
        'idempotency-key': `k-${randomUUID()}`,
      }),
    },
    {
      name: 'an empty bearer token',
      headers: () => ({ ...json, authorization: 'Bearer ', 'idempotency-key': `k-${randomUUID()}` }),
    },
  ],
  invalidMutations: [
    { name: 'no externalOrderId', apply: (b) => set(b, (x) => delete x.externalOrderId) },
    { name: 'blank externalOrderId', apply: (b) => set(b, (x) => (x.externalOrderId = '   ')) },
    { name: 'externalOrderId is a number', apply: (b) => set(b, (x) => (x.externalOrderId = 42)) },
    { name: 'externalOrderId with NUL', apply: (b) => set(b, (x) => (x.externalOrderId = 'a\u0000b')) },
    { name: 'currency with 4 letters', apply: (b) => set(b, (x) => (x.currency = 'EURO')) },
    { name: 'no items', apply: (b) => set(b, (x) => (x.items = [])) },
    { name: 'items is an object', apply: (b) => set(b, (x) => (x.items = { 0: firstItem(x) })) },
    { name: 'fractional unitPrice', apply: (b) => set(b, (x) => (firstItem(x).unitPrice = 125.5)) },
    { name: 'negative unitPrice', apply: (b) => set(b, (x) => (firstItem(x).unitPrice = -1)) },
    { name: 'unitPrice as a string', apply: (b) => set(b, (x) => (firstItem(x).unitPrice = '12550')) },
    { name: 'zero quantity', apply: (b) => set(b, (x) => (firstItem(x).quantity = 0)) },
    { name: 'quantity beyond 2^53', apply: (b) => set(b, (x) => (firstItem(x).quantity = 2 ** 60)) },
    { name: 'item sku with lone surrogate', apply: (b) => set(b, (x) => (firstItem(x).sku = 'SKU-\ud800')) },
    { name: 'unknown top-level key', apply: (b) => set(b, (x) => (x.isAdmin = true)) },
    { name: 'paid as a string', apply: (b) => set(b, (x) => (x.paid = 'yes')) },
    {
      name: 'email not an email',
      apply: (b) => set(b, (x) => ((x.customer as { email: string }).email = 'nope')),
    },
    { name: 'body is an array of the order', apply: (b) => [b] },
    { name: 'body is a JSON string', apply: (b) => JSON.stringify(b) },
    { name: 'body is null', apply: () => null },
    {
      name: '501 items',
      apply: (b) => set(b, (x) => (x.items = Array.from({ length: 501 }, () => firstItem(x)))),
    },
  ],
};

const gofoodWebhook: JsonEndpoint = {
  name: 'POST /webhooks/gofood',
  path: '/webhooks/gofood',
  credentialHeader: 'x-go-signature',
  lenient: true,
  signsBody: true,
  authentic: (raw) => ({
    ...json,
    'x-go-signature': signGofood(raw),
    'x-go-idempotency-key': `fuzz-${randomUUID()}`,
  }),
  validBody: (seq) =>
    gofoodNotification('awaiting_merchant_acceptance', { orderNumber: `F-${seq}-${randomUUID()}` }),
  badCredentials: [
    { name: 'no X-Go-Signature', headers: () => ({ ...json }) },
    {
      name: 'a signature made with another secret',
      headers: (raw) => ({ ...json, 'x-go-signature': signGofood(raw, 'another-secret-0000000000') }),
    },
    {
      name: 'a signature over another body',
      headers: (raw) => ({ ...json, 'x-go-signature': signGofood(`${raw} `) }),
    },
    {
      name: 'a truncated signature',
      headers: (raw) => ({ ...json, 'x-go-signature': signGofood(raw).slice(0, 63) }),
    },
    {
      name: 'a signature that is not hex',
      headers: (raw) => ({ ...json, 'x-go-signature': `zz${signGofood(raw).slice(2)}` }),
    },
    { name: 'an empty signature', headers: () => ({ ...json, 'x-go-signature': '' }) },
    {
      name: 'the secret itself as the signature',
      headers: () => ({ ...json, 'x-go-signature': GOFOOD_NOTIFICATION_SECRET }),
    },
    {
      name: 'the Yemeksepeti-style bearer token instead of a signature',
      headers: () => ({ ...json, authorization: `Bearer ${GOFOOD_NOTIFICATION_SECRET}` }),
    },
  ],
  invalidMutations: [
    { name: 'body is an array', apply: (b) => [b] },
    { name: 'body is a string', apply: (b) => JSON.stringify(b) },
    { name: 'body is null', apply: () => null },
    { name: 'header is a string', apply: (b) => set(b, (x) => (x.header = 'gofood.order.placed')) },
    { name: 'body is a number', apply: (b) => set(b, (x) => (x.body = 7)) },
    {
      name: 'order_items is a string',
      apply: (b) =>
        set(
          b,
          (x) => (((x.body as Record<string, unknown>).order as Record<string, unknown>).order_items = 'x'),
        ),
    },
    {
      name: 'order_total is not a number',
      apply: (b) =>
        set(
          b,
          (x) =>
            (((x.body as Record<string, unknown>).order as Record<string, unknown>).order_total = 'lots'),
        ),
    },
    {
      name: 'an item quantity of zero',
      apply: (b) =>
        set(b, (x) => {
          const order = (x.body as Record<string, unknown>).order as {
            order_items: Record<string, unknown>[];
          };
          if (order.order_items[0]) order.order_items[0].quantity = 0;
        }),
    },
    {
      name: 'event_id with NUL',
      apply: (b) => set(b, (x) => ((x.header as Record<string, unknown>).event_id = 'e\u0000')),
    },
    {
      name: 'a 100-deep unknown field',
      apply: (b) => set(b, (x) => (x.extra = JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) as unknown)),
    },
  ],
};

/** Authentic basket events are stored once their envelope is usable; the worker judges the rest. */
const onebasketWebhook: JsonEndpoint = {
  name: 'POST /webhooks/onebasket',
  path: '/webhooks/onebasket',
  credentialHeader: 'x-onebasket-signature',
  lenient: true,
  signsBody: true,
  authentic: (raw) => ({ ...json, 'x-onebasket-signature': signOnebasket(raw) }),
  validBody: (seq) =>
    basketEvent('BasketUpdated', {
      id: `fuzz-${seq}-${randomUUID().slice(0, 8)}`,
      providers: { shop: [{ sku: 'SKU-1', name: 'Çay', quantity: 2, unitPrice: 12_550 }] },
    }),
  badCredentials: [
    { name: 'no X-OneBasket-Signature', headers: () => ({ ...json }) },
    {
      name: 'a signature made with another secret',
      headers: (raw) => ({
        ...json,
        'x-onebasket-signature': signOnebasket(raw, 'another-secret-0000000000'),
      }),
    },
    {
      name: 'a signature over another body',
      headers: (raw) => ({ ...json, 'x-onebasket-signature': signOnebasket(`${raw} `) }),
    },
    {
      name: 'a truncated signature',
      headers: (raw) => ({ ...json, 'x-onebasket-signature': signOnebasket(raw).slice(0, -1) }),
    },
    {
      name: 'a signature without its sha256= prefix',
      headers: (raw) => ({ ...json, 'x-onebasket-signature': signOnebasket(raw).slice('sha256='.length) }),
    },
    {
      name: 'the secret itself as the signature',
      headers: () => ({ ...json, 'x-onebasket-signature': `sha256=${ONEBASKET_SECRET}` }),
    },
  ],
  invalidMutations: [
    { name: 'body is an array', apply: (b) => [b] },
    { name: 'body is null', apply: () => null },
    { name: 'no eventId', apply: (b) => set(b, (x) => delete x.eventId) },
    { name: 'eventId is a number', apply: (b) => set(b, (x) => (x.eventId = 42)) },
    { name: 'blank type', apply: (b) => set(b, (x) => (x.type = '  ')) },
    { name: 'occurredAt is not a timestamp', apply: (b) => set(b, (x) => (x.occurredAt = 'yesterday')) },
    { name: 'no basket', apply: (b) => set(b, (x) => delete x.basket) },
    { name: 'basket without id', apply: (b) => set(b, (x) => (x.basket = { currency: 'EUR' })) },
  ],
};

type Json = Record<string, unknown>;
const ysItems = (x: Json) => x.items as Json[];

const ysInvalidMutations: JsonEndpoint['invalidMutations'] = [
  { name: 'no order_id', apply: (b) => set(b, (x) => delete x.order_id) },
  { name: 'order_id is a number', apply: (b) => set(b, (x) => (x.order_id = 42)) },
  { name: 'order_id with NUL', apply: (b) => set(b, (x) => (x.order_id = 'a\u0000b')) },
  { name: 'no status', apply: (b) => set(b, (x) => delete x.status) },
  { name: 'blank status', apply: (b) => set(b, (x) => (x.status = '  ')) },
  {
    name: 'a create without store_id or partner config',
    apply: (b) =>
      set(b, (x) => (x.client = { ...(x.client as Json), store_id: null, external_partner_config_id: null })),
  },
  { name: 'a create without items', apply: (b) => set(b, (x) => (x.items = [])) },
  { name: 'items is an object', apply: (b) => set(b, (x) => (x.items = { a: 1 })) },
  {
    name: 'an item without sku',
    apply: (b) =>
      set(b, (x) => {
        for (const i of ysItems(x)) delete i.sku;
      }),
  },
  {
    name: 'an item without any price',
    apply: (b) =>
      set(b, (x) => {
        for (const i of ysItems(x)) i.pricing = { quantity: 1 };
      }),
  },
  {
    name: 'a unit_price that is not a number',
    apply: (b) =>
      set(b, (x) => {
        for (const i of ysItems(x)) i.pricing = { ...(i.pricing as Json), unit_price: '12,50' };
      }),
  },
  {
    name: 'a negative quantity',
    apply: (b) =>
      set(b, (x) => {
        for (const i of ysItems(x)) i.pricing = { ...(i.pricing as Json), quantity: -1 };
      }),
  },
  { name: 'client is a string', apply: (b) => set(b, (x) => (x.client = 'BiSU')) },
  { name: 'a 2001-character comment', apply: (b) => set(b, (x) => (x.comment = 'x'.repeat(2001))) },
  { name: 'a comment with a lone surrogate', apply: (b) => set(b, (x) => (x.comment = 'tamam \udc00')) },
  {
    name: 'a 100-deep unknown field (the schema lets unknown fields through)',
    apply: (b) =>
      set(b, (x) => (x.brand_new = JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) as unknown)),
  },
  { name: 'body is an array', apply: (b) => [b] },
  { name: 'body is null', apply: () => null },
];

const bearer = (token: string) => () => ({ ...json, authorization: `Bearer ${token}` });
const ysBadCredentials = (
  otherCategory: { name: string; token: string } | undefined,
): JsonEndpoint['badCredentials'] => [
  { name: 'no Authorization header', headers: () => ({ ...json }) },
  { name: 'a wrong bearer token', headers: bearer('ys-wrong-token-0000000000000000') },
  { name: 'the admin token', headers: bearer(TEST_ADMIN_TOKEN) },
  { name: 'a token prefix', headers: bearer(MARKET_TOKEN.slice(0, -1)) },
  { name: 'the token without the Bearer scheme', headers: () => ({ ...json, authorization: MARKET_TOKEN }) },
  {
    name: 'the GoFood secret as a signature',
    headers: () => ({ ...json, 'x-go-signature': GOFOOD_NOTIFICATION_SECRET }),
  },
  ...(otherCategory
    ? [{ name: `the ${otherCategory.name} token (the other category)`, headers: bearer(otherCategory.token) }]
    : []),
];

const ysEndpoint = (
  path: string,
  token: string,
  otherCategory: { name: string; token: string } | undefined,
): JsonEndpoint => ({
  name: `POST ${path}`,
  path,
  credentialHeader: 'authorization',
  authentic: bearer(token),
  validBody: (seq) => ysOrder({ order_code: String(seq) }),
  badCredentials: ysBadCredentials(otherCategory),
  invalidMutations: ysInvalidMutations,
});

export const jsonEndpoints: JsonEndpoint[] = [
  manualOrders,
  gofoodWebhook,
  onebasketWebhook,
  ysEndpoint('/api/v2/yemeksepeti/order/create', MARKET_TOKEN, undefined),
  ysEndpoint('/api/v2/yemeksepeti/market/order/create', MARKET_TOKEN, { name: 'Su', token: SU_TOKEN }),
  ysEndpoint('/api/v2/yemeksepeti/su/order/create', SU_TOKEN, { name: 'Market', token: MARKET_TOKEN }),
];
