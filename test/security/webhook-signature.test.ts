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
  const inboxCount = async () =>
    Number(
      (
        await system.db
          .selectFrom('inbound_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

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
