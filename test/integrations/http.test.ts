import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_FIELD_LIMIT, RESPONSE_BODY_LIMIT } from '../../src/integrations/error-body.js';
import { providerRequest } from '../../src/integrations/http.js';
import { OAuthClientCredentials } from '../../src/integrations/oauth.js';
import { onProviderCall, type ProviderCallEvent } from '../../src/integrations/provider-calls.js';
import { MAX_RETRY_AFTER_MS, ProviderError, parseRetryAfter } from '../../src/integrations/provider-error.js';
import { FakeProvider } from '../support/fake-provider.js';

const CLIENT_ID = 'ordergate-client';
const CLIENT_SECRET = 'cs_live_9f8e7d6c5b4a3210';

const orderSchema = z.object({ order_id: z.string(), status: z.string() });

let fake: FakeProvider;
let baseUrl: string;

beforeEach(async () => {
  fake = new FakeProvider();
  baseUrl = await fake.start();
});

afterEach(async () => {
  await fake.close();
});

/** Runs `fn`, expecting a ProviderError, and returns it. */
async function providerError(fn: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    if (err instanceof ProviderError) return err;
  }
  throw new Error('expected a ProviderError, the call succeeded');
}

/** Records call events for the duration of one test. */
function recordCalls(): { events: ProviderCallEvent[]; stop: () => void } {
  const events: ProviderCallEvent[] = [];
  const stop = onProviderCall((event) => events.push(event));
  return { events, stop };
}

function everythingSaidAbout(err: ProviderError): string {
  return [err.message, err.stack ?? '', err.responseBody ?? '', JSON.stringify(err)].join('\n');
}

describe('providerRequest', () => {
  describe('when the provider answers 200 with a body matching the schema', () => {
    it('returns the validated data, status and headers, and sends body, idempotency key and headers', async () => {
      const route = fake.route('PUT', '/v2/chains/:chainId/orders/:orderId', (req) => ({
        headers: { 'x-request-id': 'req-1' },
        body: { order_id: req.params.orderId, status: 'READY_FOR_PICKUP', extra: 'ignored' },
      }));
      const calls = recordCalls();

      const res = await providerRequest({
        provider: 'yemeksepeti',
        method: 'PUT',
        url: `${baseUrl}/v2/chains/c-1/orders/o-42?token=should-not-leak`,
        headers: { 'x-custom': 'yes' },
        json: { status: 'READY_FOR_PICKUP' },
        idempotencyKey: 'job-123',
        schema: orderSchema,
      });
      calls.stop();

      expect(res.status).toBe(200);
      expect(res.data).toEqual({ order_id: 'o-42', status: 'READY_FOR_PICKUP' });
      expect(res.headers.get('x-request-id')).toBe('req-1');

      const [received] = route.calls;
      expect(received?.params).toEqual({ chainId: 'c-1', orderId: 'o-42' });
      expect(received?.body).toEqual({ status: 'READY_FOR_PICKUP' });
      expect(received?.headers['content-type']).toBe('application/json');
      expect(received?.headers['idempotency-key']).toBe('job-123');
      expect(received?.headers['x-custom']).toBe('yes');

      expect(calls.events).toHaveLength(1);
      expect(calls.events[0]).toMatchObject({
        provider: 'yemeksepeti',
        method: 'PUT',
        path: '/v2/chains/c-1/orders/o-42',
        status: 200,
      });
      expect(calls.events[0]?.durationMs).toBeGreaterThanOrEqual(0);
    });
  });

  describe('when the body is form-encoded', () => {
    it('sends application/x-www-form-urlencoded and skips undefined fields', async () => {
      const route = fake.route('POST', '/form', () => ({ body: { ok: true } }));
      await providerRequest({
        provider: 'p',
        method: 'POST',
        url: `${baseUrl}/form`,
        form: { a: '1', b: 2, c: undefined },
      });
      expect(route.calls[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(route.calls[0]?.body).toEqual({ a: '1', b: '2' });
    });
  });

  describe('when the provider answers 204 and the caller expects no body', () => {
    it('returns undefined data', async () => {
      fake.route('POST', '/ack', () => ({ status: 204 }));
      const res = await providerRequest({
        provider: 'p',
        method: 'POST',
        url: `${baseUrl}/ack`,
        expectEmpty: true,
      });
      expect(res.status).toBe(204);
      expect(res.data).toBeUndefined();
    });
  });

  describe('when the provider answers 500', () => {
    it('throws a retryable ProviderError carrying the status and body', async () => {
      fake.route('GET', '/orders', () => ({ body: [] })).fail({ status: 500, body: { error: 'db down' } });
      const err = await providerError(() =>
        providerRequest({ provider: 'gofood', url: `${baseUrl}/orders` }),
      );
      expect(err.retryable).toBe(true);
      expect(err.code).toBe('unavailable');
      expect(err.reason).toBe('http');
      expect(err.httpStatus).toBe(500);
      expect(err.provider).toBe('gofood');
      expect(err.responseBody).toContain('db down');
      expect(err.retryAfterMs).toBeUndefined();
      expect(err.message).toBe('gofood GET /orders answered 500');
    });
  });

  describe('when the provider answers 503 with a Retry-After HTTP-date', () => {
    it('sets retryAfterMs to the time until that date', async () => {
      const at = new Date(Date.now() + 5000).toUTCString();
      fake.route('GET', '/orders', () => ({ body: [] })).fail({ status: 503, retryAfter: at });
      const err = await providerError(() => providerRequest({ provider: 'p', url: `${baseUrl}/orders` }));
      expect(err.retryable).toBe(true);
      expect(err.httpStatus).toBe(503);
      // HTTP-dates have whole-second precision.
      expect(err.retryAfterMs).toBeGreaterThan(3000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(5000);
    });
  });

  describe('when the provider answers 429 with Retry-After in seconds', () => {
    it('is retryable with retryAfterMs from the header', async () => {
      fake.route('GET', '/orders', () => ({ body: [] })).fail({ status: 429, retryAfter: '2' });
      const err = await providerError(() => providerRequest({ provider: 'p', url: `${baseUrl}/orders` }));
      expect(err.retryable).toBe(true);
      expect(err.httpStatus).toBe(429);
      expect(err.retryAfterMs).toBe(2000);
    });
  });

  describe('when the provider answers 408', () => {
    it('is retryable', async () => {
      fake.route('GET', '/orders', () => ({ body: [] })).fail({ status: 408 });
      const err = await providerError(() => providerRequest({ provider: 'p', url: `${baseUrl}/orders` }));
      expect(err.retryable).toBe(true);
    });
  });

  describe.each([400, 404, 409, 422])('when the provider rejects the request with %i', (status) => {
    it('throws a non-retryable ProviderError that keeps the provider body', async () => {
      fake
        .route('PUT', '/orders/:id', () => ({ body: {} }))
        .fail({ status, body: { code: 'ORDER_ALREADY_DISPATCHED', message: 'cannot cancel' } });
      const err = await providerError(() =>
        providerRequest({
          provider: 'p',
          method: 'PUT',
          url: `${baseUrl}/orders/o1`,
          json: { status: 'CANCELLED' },
        }),
      );
      expect(err.retryable).toBe(false);
      expect(err.code).toBe('provider_rejected');
      expect(err.httpStatus).toBe(status);
      expect(err.retryAfterMs).toBeUndefined();
      expect(JSON.parse(err.responseBody ?? '')).toEqual({
        code: 'ORDER_ALREADY_DISPATCHED',
        message: 'cannot cancel',
      });
    });
  });

  describe('when the provider answers an error with a body that is not JSON', () => {
    it('keeps only its size', async () => {
      fake
        .route('GET', '/big', () => ({ body: {} }))
        .fail({ status: 400, body: `Ayşe Yılmaz, +90 555 123 45 67 ${'x'.repeat(50_000)}` });
      const err = await providerError(() => providerRequest({ provider: 'p', url: `${baseUrl}/big` }));
      expect(err.responseBody).toMatch(/^non-JSON body \(\d+ bytes\)$/);
    });
  });

  describe('when the provider echoes the order back in its error body', () => {
    const echoed = {
      code: 'ORDER_NOT_CANCELLABLE',
      message: 'Order cannot be cancelled',
      order: {
        customer: { name: 'Ayşe Yılmaz', phone: '+905551234567', email: 'ayse@example.com' },
        address: 'Bağdat Caddesi No: 12, Kadıköy',
      },
      phone: '+905551234567',
    };

    /** The ProviderError of a PUT the provider refuses with `status` and `body`. */
    const refusal = (status: number, body: unknown) => {
      fake.route('PUT', '/orders/:id', () => ({ body: {} })).fail({ status, body });
      return providerError(() =>
        providerRequest({ provider: 'p', method: 'PUT', url: `${baseUrl}/orders/o1`, json: {} }),
      );
    };

    it('keeps the HTTP status and the known error fields only', async () => {
      const err = await refusal(409, echoed);
      expect(err.httpStatus).toBe(409);
      expect(JSON.parse(err.responseBody ?? '')).toEqual({
        code: 'ORDER_NOT_CANCELLABLE',
        message: 'Order cannot be cancelled',
      });
      const said = everythingSaidAbout(err);
      for (const personal of ['Ayşe', '5551234567', 'ayse@example.com', 'Bağdat']) {
        expect(said).not.toContain(personal);
      }
    });

    it('keeps nested error codes (error / errors) and drops what sits beside them', async () => {
      const err = await refusal(422, {
        error: { code: 'E42', title: 'Invalid', customer: echoed.order.customer },
        errors: [{ message: 'bad item', detail: 'sku X', value: echoed.order.address }, { status: 422 }],
      });
      expect(JSON.parse(err.responseBody ?? '')).toEqual({
        error: { code: 'E42', title: 'Invalid' },
        errors: [{ message: 'bad item', detail: 'sku X' }, { status: 422 }],
      });
    });

    it('masks phone numbers and e-mail addresses inside the kept messages, and truncates them', async () => {
      const err = await refusal(400, {
        message: 'Customer +90 (555) 123-45-67 / ayse@example.com unreachable for order 42',
        error_description: 'y'.repeat(5_000),
        errorCode: 4_001,
        status: 5_551_234_567,
      });
      const kept = JSON.parse(err.responseBody ?? '') as Record<string, unknown>;
      expect(kept.message).toBe('Customer [number] / [email] unreachable for order 42');
      expect(String(kept.error_description).length).toBeLessThanOrEqual(ERROR_FIELD_LIMIT + 1);
      // Small integers are codes; a long one could be a phone number.
      expect(kept.errorCode).toBe(4_001);
      expect(kept).not.toHaveProperty('status');
    });

    it('cuts the whole summary at RESPONSE_BODY_LIMIT', async () => {
      const err = await refusal(400, {
        errors: Array.from({ length: 20 }, () => ({ message: 'z'.repeat(500) })),
      });
      expect(err.responseBody?.length).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT + '…[truncated]'.length);
      expect(err.responseBody?.endsWith('…[truncated]')).toBe(true);
    });

    it('says so when no known error field is there', async () => {
      const err = await refusal(400, echoed.order);
      expect(err.responseBody).toMatch(/^JSON body without known error fields \(\d+ bytes\)$/);
    });
  });

  describe('when the provider does not answer within the timeout', () => {
    it('throws a retryable timeout error without an HTTP status', async () => {
      fake.route('GET', '/slow', () => ({ body: {} })).fail({ timeoutMs: Number.POSITIVE_INFINITY });
      const calls = recordCalls();
      const started = Date.now();
      const err = await providerError(() =>
        providerRequest({ provider: 'p', url: `${baseUrl}/slow`, timeoutMs: 200 }),
      );
      calls.stop();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(err.retryable).toBe(true);
      expect(err.code).toBe('unavailable');
      expect(err.reason).toBe('timeout');
      expect(err.httpStatus).toBeUndefined();
      expect(err.message).toContain('200 ms');
      expect(calls.events.map((event) => event.status)).toEqual(['timeout']);
    });
  });

  describe('when the provider answers slowly but within the timeout', () => {
    it('succeeds', async () => {
      fake.route('GET', '/slow', () => ({ body: { order_id: 'o', status: 's' } })).fail({ timeoutMs: 100 });
      const res = await providerRequest({
        provider: 'p',
        url: `${baseUrl}/slow`,
        timeoutMs: 2000,
        schema: orderSchema,
      });
      expect(res.data.order_id).toBe('o');
    });
  });

  describe('when the provider resets the connection', () => {
    it('throws a retryable network error', async () => {
      fake.route('GET', '/reset', () => ({ body: {} })).fail({ reset: true });
      const err = await providerError(() => providerRequest({ provider: 'p', url: `${baseUrl}/reset` }));
      expect(err.retryable).toBe(true);
      expect(err.reason).toBe('network');
    });
  });

  describe('when nothing listens on the port (connection refused)', () => {
    it('throws a retryable network error', async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));

      const calls = recordCalls();
      const err = await providerError(() =>
        providerRequest({ provider: 'p', url: `http://127.0.0.1:${port}/x` }),
      );
      calls.stop();
      expect(err.retryable).toBe(true);
      expect(err.reason).toBe('network');
      expect(err.httpStatus).toBeUndefined();
      expect(err.message).toContain('ECONNREFUSED');
      expect(calls.events.map((event) => event.status)).toEqual(['network']);
    });
  });

  describe('when the 2xx response does not match the schema', () => {
    it('throws a non-retryable error that says so', async () => {
      fake.route('GET', '/orders/:id', () => ({ body: { order_id: 42 } }));
      const err = await providerError(() =>
        providerRequest({ provider: 'p', url: `${baseUrl}/orders/o1`, schema: orderSchema }),
      );
      expect(err.retryable).toBe(false);
      expect(err.code).toBe('provider_rejected');
      expect(err.reason).toBe('invalid_response');
      expect(err.httpStatus).toBe(200);
      expect(err.message).toContain('does not match the expected schema');
      expect(err.message).toContain('order_id');
    });
  });

  describe('when the 2xx response is not JSON but a schema is expected', () => {
    it('throws a non-retryable error', async () => {
      fake.route('GET', '/html', () => ({ body: '<html>maintenance</html>' }));
      const err = await providerError(() =>
        providerRequest({ provider: 'p', url: `${baseUrl}/html`, schema: orderSchema }),
      );
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('not JSON');
    });
  });

  describe('when the provider redirects', () => {
    it('does not follow and throws a non-retryable error', async () => {
      const target = fake.route('GET', '/elsewhere', () => ({ body: {} }));
      fake.route('GET', '/moved', () => ({ status: 302, headers: { location: `${baseUrl}/elsewhere` } }));
      const err = await providerError(() =>
        providerRequest({
          provider: 'p',
          url: `${baseUrl}/moved`,
          headers: { authorization: 'Bearer abcdef' },
        }),
      );
      expect(err.retryable).toBe(false);
      expect(err.httpStatus).toBe(302);
      expect(target.calls).toHaveLength(0);
    });
  });

  describe('when a metrics listener throws', () => {
    it('does not affect the call', async () => {
      fake.route('GET', '/ok', () => ({ body: { order_id: 'o', status: 's' } }));
      const stop = onProviderCall(() => {
        throw new Error('broken metrics');
      });
      try {
        const res = await providerRequest({ provider: 'p', url: `${baseUrl}/ok`, schema: orderSchema });
        expect(res.status).toBe(200);
      } finally {
        stop();
      }
    });
  });

  describe('when the provider echoes credentials in an error body', () => {
    it('keeps neither the Authorization value nor token-like fields', async () => {
      fake.route('POST', '/echo', (req) => ({
        status: 400,
        body: {
          error: 'bad',
          seen: req.headers.authorization,
          api_key: 'k_123456',
          nested: { token: 't_98765' },
        },
      }));
      const err = await providerError(() =>
        providerRequest({
          provider: 'p',
          method: 'POST',
          url: `${baseUrl}/echo`,
          headers: { Authorization: 'Bearer very-secret-token-value' },
          json: {},
        }),
      );
      const said = everythingSaidAbout(err);
      expect(said).not.toContain('very-secret-token-value');
      expect(said).not.toContain('k_123456');
      expect(said).not.toContain('t_98765');
      expect(err.responseBody).toContain('bad');
    });
  });
});

describe('OAuthClientCredentials', () => {
  function setup(options: { expiresIn?: number } = {}) {
    const oauth = fake.oauth({
      path: '/v2/oauth/token',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
    });
    const api = fake.route(
      'PUT',
      '/v2/chains/:chainId/orders/:orderId',
      oauth.protect((req) => ({ body: { order_id: req.params.orderId, status: 'DISPATCHED' } })),
    );
    const client = new OAuthClientCredentials({
      provider: 'yemeksepeti',
      tokenUrl: `${baseUrl}/v2/oauth/token`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      scope: 'orders',
    });
    const update = (orderId: string) =>
      client.authorizedRequest({
        method: 'PUT',
        url: `${baseUrl}/v2/chains/c1/orders/${orderId}`,
        json: { order_id: orderId, status: 'DISPATCHED' },
        schema: orderSchema,
      });
    return { oauth, api, client, update };
  }

  describe('when the token is requested', () => {
    it('posts a form-encoded client_credentials grant', async () => {
      const { oauth, client } = setup();
      const token = await client.getToken();
      expect(oauth.issued).toEqual([token]);
      const [request] = oauth.route.calls;
      expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request?.body).toEqual({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        scope: 'orders',
      });
    });
  });

  describe('when many calls share one client', () => {
    it('requests one token and sends it as a Bearer on every call', async () => {
      const { oauth, api, update } = setup();
      for (const id of ['o1', 'o2', 'o3', 'o4', 'o5']) {
        const res = await update(id);
        expect(res.data).toEqual({ order_id: id, status: 'DISPATCHED' });
      }
      expect(oauth.tokenRequests).toBe(1);
      const [token] = oauth.issued;
      expect(api.calls.map((call) => call.headers.authorization)).toEqual(Array(5).fill(`Bearer ${token}`));
    });
  });

  describe('when getToken is called concurrently', () => {
    it('makes a single token request and gives everyone the same token', async () => {
      const { oauth, client } = setup();
      oauth.route.fail({ timeoutMs: 100 }); // keep the first request in flight while the others arrive
      const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken()));
      expect(oauth.tokenRequests).toBe(1);
      expect(new Set(tokens).size).toBe(1);
    });
  });

  describe('when concurrent calls all see their token revoked', () => {
    it('refreshes it once for all of them', async () => {
      const { oauth, api, update } = setup();
      await update('o0');
      oauth.revokeAll();
      oauth.route.fail({ timeoutMs: 100 });
      const results = await Promise.all(['o1', 'o2', 'o3', 'o4'].map((id) => update(id)));
      expect(results.map((res) => res.status)).toEqual([200, 200, 200, 200]);
      expect(oauth.tokenRequests).toBe(2);
      expect(api.calls).toHaveLength(1 + 4 * 2);
    });
  });

  describe('when the token was revoked or expired early and the API answers 401', () => {
    it('fetches a fresh token once and the call succeeds', async () => {
      const { oauth, api, update } = setup();
      await update('o1');
      oauth.revokeAll();
      const res = await update('o2');
      expect(res.data.order_id).toBe('o2');
      expect(oauth.tokenRequests).toBe(2);
      expect(oauth.rejected).toBe(1);
      expect(api.calls.map((call) => call.headers.authorization)).toEqual([
        `Bearer ${oauth.issued[0]}`,
        `Bearer ${oauth.issued[0]}`,
        `Bearer ${oauth.issued[1]}`,
      ]);
    });
  });

  describe('when the token reaches its expires_in', () => {
    it('is refreshed before use, without a 401', async () => {
      const { oauth, update } = setup({ expiresIn: 1 });
      await update('o1');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await update('o2');
      expect(oauth.tokenRequests).toBe(2);
      expect(oauth.rejected).toBe(0);
    });
  });

  describe('when invalidate() is called', () => {
    it('the next call uses a new token', async () => {
      const { oauth, client, update } = setup();
      await update('o1');
      client.invalidate();
      await update('o2');
      expect(oauth.tokenRequests).toBe(2);
      expect(oauth.issued).toHaveLength(2);
    });
  });

  describe('when the API answers 401 even to a freshly issued token', () => {
    it('throws a non-retryable error after exactly one refresh, without leaking tokens', async () => {
      const { oauth, api, update } = setup();
      api.fail(
        { status: 401, body: { error: 'invalid_token' } },
        { status: 401, body: { error: 'invalid_token' } },
      );
      const err = await providerError(() => update('o1'));
      expect(err.retryable).toBe(false);
      expect(err.code).toBe('provider_rejected');
      expect(err.httpStatus).toBe(401);
      expect(err.message).toContain('freshly issued token');
      expect(api.calls).toHaveLength(2);
      expect(oauth.tokenRequests).toBe(2);
      const said = everythingSaidAbout(err);
      for (const token of oauth.issued) expect(said).not.toContain(token);
      expect(said).not.toContain(CLIENT_SECRET);
    });
  });

  describe('when the token endpoint answers 500', () => {
    it('throws a retryable error and the next call tries again', async () => {
      const { oauth, client, update } = setup();
      oauth.route.fail({ status: 500 });
      const err = await providerError(() => update('o1'));
      expect(err.retryable).toBe(true);
      expect(err.code).toBe('unavailable');
      expect(err.path).toBe('/v2/oauth/token');
      await expect(client.getToken()).resolves.toMatch(/^tok_/);
      expect(oauth.tokenRequests).toBe(2);
    });
  });

  describe('when the token endpoint times out', () => {
    it('throws a retryable timeout error', async () => {
      fake.oauth({ path: '/v2/oauth/token', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      fake.fail('POST', '/v2/oauth/token', { timeoutMs: Number.POSITIVE_INFINITY });
      const client = new OAuthClientCredentials({
        provider: 'gofood',
        tokenUrl: `${baseUrl}/v2/oauth/token`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        timeoutMs: 150,
      });
      const err = await providerError(() => client.getToken());
      expect(err.retryable).toBe(true);
      expect(err.reason).toBe('timeout');
    });
  });

  describe('when the client secret is wrong', () => {
    it('throws a non-retryable error that never contains the secret', async () => {
      const oauth = fake.oauth({ path: '/oauth2/token', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      const wrongSecret = 'cs_wrong_0123456789abcdef';
      // A careless provider that echoes what it received must not make us leak it.
      oauth.route.fail({
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: `unknown secret ${wrongSecret}`,
          client_secret: wrongSecret,
        },
      });
      const client = new OAuthClientCredentials({
        provider: 'gofood',
        tokenUrl: `${baseUrl}/oauth2/token`,
        clientId: CLIENT_ID,
        clientSecret: wrongSecret,
      });
      const err = await providerError(() => client.getToken());
      expect(err.retryable).toBe(false);
      expect(err.httpStatus).toBe(401);
      expect(err.responseBody).toContain('invalid_client');
      expect(everythingSaidAbout(err)).not.toContain(wrongSecret);

      // Without the fault the fake itself refuses the wrong secret too.
      const again = await providerError(() => client.getToken());
      expect(again.httpStatus).toBe(401);
      expect(oauth.issued).toHaveLength(0);
    });
  });

  describe('when the provider wants client credentials in a Basic header', () => {
    it('sends them there instead of the form', async () => {
      const oauth = fake.oauth({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      const client = new OAuthClientCredentials({
        provider: 'p',
        tokenUrl: `${baseUrl}/oauth/token`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        clientAuth: 'basic',
      });
      await client.getToken();
      expect(oauth.issued).toHaveLength(1);
      expect(oauth.route.calls[0]?.body).toEqual({ grant_type: 'client_credentials' });
      expect(oauth.route.calls[0]?.headers.authorization).toMatch(/^Basic /);
    });
  });

  describe('when the token response has no access_token', () => {
    it('throws a non-retryable invalid-response error', async () => {
      const { oauth, client } = setup();
      oauth.route.fail({ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } });
      const err = await providerError(() => client.getToken());
      expect(err.retryable).toBe(false);
      expect(err.reason).toBe('invalid_response');
      expect(err.message).toContain('access_token');
    });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('caps long delays at 10 minutes', () => {
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(600_000);
  });

  it('ignores missing, empty, negative and garbage values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('12abc', now)).toBeUndefined();
  });
});
