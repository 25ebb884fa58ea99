import { createHmac } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/http/env.js';
import { answerErrorsInEnvelope } from '../../src/http/envelope.js';
import { parseHexSignature, readSignedJson } from '../../src/http/signature.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  GOFOOD_NOTIFICATION_SECRET,
  gofoodNotification,
  sendGofood,
  signGofood,
} from '../support/fake-gobiz.js';
import { paymentEvent, sendWebhook } from '../support/fake-razorpay.js';
import { startTestSystem, type TestSystem } from '../support/system.js';

const SECRET = 'webhook-secret-0123456789';
const NEXT_SECRET = 'webhook-secret-next-98765';
const sign = (raw: string, secret = SECRET) => createHmac('sha256', secret).update(raw).digest('hex');

/** A route signed like OneBasket (`sha256=<hex>`, both rotation secrets) behind the real envelope. */
function prefixedApp(maxBytes = 1024) {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set('requestId', 'test');
    c.set('logger', createLogger('silent'));
    await next();
  });
  app.post('/hook', async (c) => {
    const { json } = await readSignedJson(c, {
      header: 'X-Test-Signature',
      signature: c.req.header('x-test-signature'),
      secrets: [SECRET, NEXT_SECRET],
      prefix: 'sha256=',
      maxBytes,
    });
    return c.json({ received: json });
  });
  answerErrorsInEnvelope(app, createLogger('silent'));
  return app;
}

/** How many inbound events the system stored. */
async function storedEvents(system: TestSystem): Promise<number> {
  const row = await system.db
    .selectFrom('inbound_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const post = (app: Hono<AppEnv>, raw: string, signature: string) =>
  app.request('/hook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-signature': signature },
    body: raw,
  });

describe('a signature header', () => {
  const digest = sign('{}');
  it.each([
    ['a valid digest followed by other characters', `${digest}zz`],
    ['63 hex characters', digest.slice(1)],
    ['65 hex characters', `${digest}0`],
    ['hex with a space inside', `${digest.slice(0, 32)} ${digest.slice(32)}`],
    ['the digest without the required prefix', digest],
  ])('is refused when it is %s', (_name, value) => {
    expect(parseHexSignature(value, 'sha256=')).toBeUndefined();
  });

  it('is read when it is the prefix and exactly 64 hex characters, in either case', () => {
    expect(parseHexSignature(`sha256=${digest.toUpperCase()}`, 'sha256=')?.toString('hex')).toBe(digest);
    expect(parseHexSignature(` ${digest} `)?.toString('hex')).toBe(digest);
  });
});

describe('when a channel signs with a sha256= prefix and two rotation secrets', () => {
  const app = prefixedApp();

  it('accepts a body signed with the current or the next secret', async () => {
    for (const secret of [SECRET, NEXT_SECRET]) {
      const res = await post(app, '{"a":1}', `sha256=${sign('{"a":1}', secret)}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: { a: 1 } });
    }
  });

  it('refuses malformed JSON with a wrong signature as unauthenticated, without parsing it', async () => {
    const res = await post(app, '{"a":', `sha256=${sign('{"a":1}')}`);
    expect(res.status).toBe(401);
  });

  it('answers malformed JSON 400 only when it is authentic', async () => {
    const res = await post(app, '{"a":', `sha256=${sign('{"a":')}`);
    expect(res.status).toBe(400);
  });

  it('refuses a body over the webhook limit with 413 before checking it', async () => {
    const raw = JSON.stringify({ pad: 'x'.repeat(2000) });
    const res = await post(app, raw, `sha256=${sign(raw)}`);
    expect(res.status).toBe(413);
  });
});

describe('POST /webhooks/gofood', () => {
  let system: TestSystem;
  const webhookLimit = 64 * 1024;
  beforeAll(async () => {
    system = await startTestSystem({
      worker: false,
      env: { GOFOOD_NOTIFICATION_SECRET, WEBHOOK_BODY_LIMIT_BYTES: String(webhookLimit) },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });
  const inboxCount = () => storedEvents(system);

  describe('when the signature is a valid one followed by other characters', () => {
    it('answers 401 and stores nothing', async () => {
      const body = gofoodNotification('awaiting_merchant_acceptance', { orderNumber: 'SIG-ZZ-1' });
      const raw = JSON.stringify(body);
      const res = await sendGofood(system.baseUrl, body, { raw, signature: `${signGofood(raw)}zz` });
      expect(res.status).toBe(401);
      expect(await inboxCount()).toBe(0);
    });
  });

  describe('when a nested body arrives with a signature that is not 64 hex characters', () => {
    it('answers 401, not a parse error: the body is never parsed', async () => {
      const raw = `${'['.repeat(10_000)}`;
      const res = await sendGofood(system.baseUrl, null, { raw, signature: '00' });
      expect(res.status).toBe(401);
      const wrong = await sendGofood(system.baseUrl, null, { raw: '{"header":', signature: 'a'.repeat(64) });
      expect(wrong.status).toBe(401);
    });
  });

  describe('when the body is larger than the webhook limit but within the general one', () => {
    it('answers 413 and stores nothing', async () => {
      const body = gofoodNotification('awaiting_merchant_acceptance', { orderNumber: 'SIG-BIG-1' });
      const raw = JSON.stringify({ ...body, padding: 'x'.repeat(webhookLimit) });
      const res = await sendGofood(system.baseUrl, body, { raw });
      expect(res.status).toBe(413);
      expect(await inboxCount()).toBe(0);
    });
  });

  describe('when the notification is authentic', () => {
    it('stores it (202)', async () => {
      const body = gofoodNotification('awaiting_merchant_acceptance', { orderNumber: 'SIG-OK-1' });
      const res = await sendGofood(system.baseUrl, body);
      expect(res.status).toBe(202);
      expect(await inboxCount()).toBe(1);
    });
  });
});

// Razorpay's own published test vector (razorpay-node, test/utils/razorpay-utils.spec.js,
// validateWebhookSignature): this body under the secret 123456 has this signature, and "sdfafds" is wrong.
const razorpayVector = {
  body: '{"a":1,"b":2,"c":{"d":3}}',
  secret: '123456',
  signature: '2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc',
  wrongSignature: 'sdfafds',
};

describe('POST /webhooks/razorpay against Razorpay’s published test vector', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({
      worker: false,
      env: { RAZORPAY_WEBHOOK_SECRET: razorpayVector.secret },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });
  const post = (raw: string, signature: string) =>
    fetch(`${system.baseUrl}/webhooks/razorpay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-razorpay-signature': signature },
      body: raw,
    });
  const stored = () => storedEvents(system);

  describe('when the published body carries the published signature', () => {
    it('passes the signature, in either case, and is refused only as no Razorpay event (400)', async () => {
      for (const signature of [razorpayVector.signature, razorpayVector.signature.toUpperCase()]) {
        const res = await post(razorpayVector.body, signature);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { code: 'validation_failed' } });
      }
      expect(await stored()).toBe(0);
    });
  });

  describe('when the signature is the published wrong one, or the body differs by one byte', () => {
    it('answers 401', async () => {
      const wrong = await post(razorpayVector.body, razorpayVector.wrongSignature);
      expect(wrong.status).toBe(401);
      const changed = await post(razorpayVector.body.replace('3}', '4}'), razorpayVector.signature);
      expect(changed.status).toBe(401);
      expect(await stored()).toBe(0);
    });
  });

  describe('when a Razorpay event is signed the same way', () => {
    it('stores it (202)', async () => {
      const event = paymentEvent('payment.captured', {
        paymentId: 'pay_VECTOR000001',
        razorpayOrderId: 'order_VECTOR00001',
        amount: 100,
      });
      const res = await sendWebhook(system.baseUrl, event, { secret: razorpayVector.secret });
      expect(res.status).toBe(202);
      expect(await stored()).toBe(1);
    });
  });
});
