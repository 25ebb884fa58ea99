import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeliveryCall } from '../gateway/delivery-call.js';
import { FakeProvider, type FakeRequest } from '../support/fake-provider.js';
import { startTestSystem, type TestSystem, waitFor } from '../support/system.js';

const SECRET = 'delivery-secret-current-0123456789';
const NEXT_SECRET = 'delivery-secret-next-9876543210';
const TOLERANCE_S = 300;

/**
 * The receiver's recipe of docs/security.md, written from the documentation alone: `t` and every `v1` of
 * X-Ordergate-Signature, the timestamp within five minutes of now, HMAC-SHA256 of `<t>.<raw body>`
 * compared in constant time with each `v1`.
 */
function verifyDelivery(rawBody: Buffer, header: string | undefined, secret: string, now = Date.now()) {
  const fields = (header ?? '').split(',').map((field) => field.trim().split('='));
  const t = fields.find(([key]) => key === 't')?.[1];
  if (!t || !/^\d+$/.test(t) || Math.abs(now / 1000 - Number(t)) > TOLERANCE_S) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return fields.some(
    ([key, value]) =>
      key === 'v1' &&
      value !== undefined &&
      /^[0-9a-f]{64}$/.test(value) &&
      timingSafeEqual(Buffer.from(value, 'hex'), expected),
  );
}

const signatureOf = (req: FakeRequest) => {
  const header = req.headers['x-ordergate-signature'];
  return Array.isArray(header) ? header.join(',') : header;
};
const bytesOf = (req: FakeRequest) => Buffer.from(req.rawBody, 'utf8');

let system: TestSystem;
let delivery: FakeProvider;
/** The secrets the fake delivery domain verifies with; a request none of them verifies is answered 401. */
let receiverSecrets = [SECRET];

beforeAll(async () => {
  delivery = new FakeProvider();
  const base = await delivery.start();
  delivery.route('POST', '/deliveries', (req) =>
    receiverSecrets.some((secret) => verifyDelivery(bytesOf(req), signatureOf(req), secret))
      ? { status: 202, body: { accepted: true } }
      : { status: 401, body: { error: 'bad signature' } },
  );
  system = await startTestSystem({
    env: {
      DELIVERY_WEBHOOK_URL: `${base}/deliveries`,
      DELIVERY_WEBHOOK_SECRET: SECRET,
      OUTBOUND_ATTEMPTS: '1',
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await delivery?.close();
});

const requestFor = (orderId: string) => {
  const found = delivery.requestsTo('POST', '/deliveries').find((r) => r.rawBody.includes(orderId));
  if (!found) throw new Error(`no delivery request for ${orderId}`);
  return found;
};
const outboxStatus = async (orderId: string) =>
  (
    await system.db
      .selectFrom('outbox')
      .select('status')
      .where('order_id', '=', orderId)
      .where('topic', '=', 'delivery.requested')
      .executeTakeFirstOrThrow()
  ).status;

describe('when the delivery domain verifies the webhook with the documented recipe', () => {
  it('accepts it: the signature covers the timestamp and the exact body, and the message is delivered', async () => {
    const orderId = await makeDeliveryCall(system.db, delivery, `sig-${randomUUID()}`);
    const req = requestFor(orderId);
    expect(signatureOf(req)).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyDelivery(bytesOf(req), signatureOf(req), SECRET)).toBe(true);
    expect(
      await waitFor(async () => ((await outboxStatus(orderId)) === 'delivered' ? 'delivered' : '')),
    ).toBe('delivered');
  });
});

describe('when a captured delivery webhook is altered or re-sent', () => {
  let req: FakeRequest;
  let t: number;
  beforeAll(async () => {
    const orderId = await makeDeliveryCall(system.db, delivery, `sig-${randomUUID()}`);
    req = requestFor(orderId);
    t = Number(/t=(\d+)/.exec(signatureOf(req) ?? '')?.[1]);
  });

  it('fails verification when one byte of the body is changed', () => {
    // The order id's first character, changed to another one (it may be a 0 already).
    const changed = req.rawBody.replace(
      /"orderId":"(.)/,
      (_, c: string) => `"orderId":"${c === '0' ? '1' : '0'}`,
    );
    const tampered = Buffer.from(changed, 'utf8');
    expect(tampered.equals(bytesOf(req))).toBe(false);
    expect(verifyDelivery(tampered, signatureOf(req), SECRET)).toBe(false);
  });

  it('fails verification when the timestamp is moved forward to look fresh', () => {
    const moved = (signatureOf(req) ?? '').replace(/t=\d+/, `t=${t + 600}`);
    expect(verifyDelivery(bytesOf(req), moved, SECRET, (t + 600) * 1000)).toBe(false);
  });

  it('fails verification when replayed after the five-minute tolerance', () => {
    expect(verifyDelivery(bytesOf(req), signatureOf(req), SECRET, (t + TOLERANCE_S) * 1000)).toBe(true);
    expect(verifyDelivery(bytesOf(req), signatureOf(req), SECRET, (t + TOLERANCE_S + 1) * 1000)).toBe(false);
  });

  it('fails verification with any other secret', () => {
    expect(verifyDelivery(bytesOf(req), signatureOf(req), NEXT_SECRET)).toBe(false);
  });
});

describe('when the receiver refuses the signature', () => {
  it('is a 4xx: the message is not retried and goes dead with the answer', async () => {
    receiverSecrets = [NEXT_SECRET];
    try {
      const orderId = await makeDeliveryCall(system.db, delivery, `sig-${randomUUID()}`);
      expect(await waitFor(async () => ((await outboxStatus(orderId)) === 'dead' ? 'dead' : ''))).toBe(
        'dead',
      );
      expect(
        delivery.requestsTo('POST', '/deliveries').filter((r) => r.rawBody.includes(orderId)),
      ).toHaveLength(1);
    } finally {
      receiverSecrets = [SECRET];
    }
  });
});

describe('when DELIVERY_WEBHOOK_SECRET_NEXT is set during a rotation', () => {
  it('signs with both secrets, so a receiver holding either the old or the new one verifies', async () => {
    await system.restart({ DELIVERY_WEBHOOK_SECRET_NEXT: NEXT_SECRET });
    const orderId = await makeDeliveryCall(system.db, delivery, `sig-${randomUUID()}`);
    const req = requestFor(orderId);
    expect(signatureOf(req)).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verifyDelivery(bytesOf(req), signatureOf(req), SECRET)).toBe(true);
    expect(verifyDelivery(bytesOf(req), signatureOf(req), NEXT_SECRET)).toBe(true);
    expect(verifyDelivery(bytesOf(req), signatureOf(req), 'a-third-secret-000000000')).toBe(false);
  });
});
