import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, lazyChild, prettyDestination, wantsPrettyLogs } from '../../src/lib/logger.js';

const secrets = {
  bearer: 'Bearer sk_live_9f8e7d6c5b4a',
  token: 'tok_0123456789abcdef',
  clientSecret: 'cs_super_secret_value',
  password: 'hunter2-password',
  name: 'Şule Öztürk',
  firstName: 'Ayşe',
  lastName: 'Yılmaz',
  phone: '+905551112233',
  email: 'sule@example.com',
  street: 'Bağdat Caddesi 123',
  signature: 'a1b2c3d4e5f6signature',
};

/** Logs through the product's logger into memory and returns the parsed line and its raw text. */
function logLine(
  fields: Record<string, unknown>,
  message = 'line',
): { raw: string; line: Record<string, unknown> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger('info', stream);
  logger.info(fields, message);
  const raw = chunks.join('');
  return { raw, line: JSON.parse(raw) as Record<string, unknown> };
}

function expectNoSecret(raw: string) {
  for (const [what, value] of Object.entries(secrets)) {
    expect(raw, `${what} leaked`).not.toContain(value);
  }
}

describe('the logger', () => {
  it('keeps ids and the message', () => {
    const { line } = logLine({ requestId: 'req-1', eventId: 'ev-1', orderId: 'ord-1' }, 'processed');
    expect(line).toMatchObject({ requestId: 'req-1', eventId: 'ev-1', orderId: 'ord-1', msg: 'processed' });
  });

  describe('when a request with credentials is logged', () => {
    it('redacts authorization headers, cookies and signatures', () => {
      const { raw, line } = logLine({
        req: {
          method: 'POST',
          headers: {
            authorization: secrets.bearer,
            cookie: `session=${secrets.token}`,
            'x-go-signature': secrets.signature,
            'x-razorpay-signature': secrets.signature,
          },
        },
        headers: { authorization: secrets.bearer },
        authorization: secrets.bearer,
      });
      expectNoSecret(raw);
      expect(line.req).toMatchObject({ method: 'POST', headers: { authorization: '[redacted]' } });
    });
  });

  describe('when tokens and client secrets are logged', () => {
    it('redacts them at the top level and one level down', () => {
      const { raw } = logLine({
        token: secrets.token,
        accessToken: secrets.token,
        access_token: secrets.token,
        oauth: {
          access_token: secrets.token,
          client_secret: secrets.clientSecret,
          clientSecret: secrets.clientSecret,
          token: secrets.token,
        },
        password: secrets.password,
        db: { password: secrets.password },
        secret: secrets.clientSecret,
      });
      expectNoSecret(raw);
    });
  });

  describe('when personal data is logged', () => {
    it('redacts names, phones, emails and addresses', () => {
      const { raw, line } = logLine({
        name: secrets.name,
        phone: secrets.phone,
        email: secrets.email,
        address: { street: secrets.street },
        customer: { id: 'c-1', name: secrets.name, phone: secrets.phone, email: secrets.email },
        driver: { name: secrets.name },
        recipient: {
          first_name: secrets.firstName,
          last_name: secrets.lastName,
          firstName: secrets.firstName,
          lastName: secrets.lastName,
          phone_number: secrets.phone,
          delivery_address: { street: secrets.street },
        },
      });
      expectNoSecret(raw);
      expect(line.customer).toBe('[redacted]');
    });

    it('redacts a provider payload logged whole, however deep the customer sits', () => {
      const { raw } = logLine({
        event: {
          payload: {
            body: {
              customer: { id: 'c-1', name: secrets.name },
              order: { delivery_address: { street: secrets.street }, contact: { phone: secrets.phone } },
            },
          },
        },
      });
      expectNoSecret(raw);
    });
  });

  describe('when an error carrying request details is logged', () => {
    it('redacts the credentials inside the serialized error', () => {
      const err = Object.assign(new Error('provider refused'), {
        headers: { authorization: secrets.bearer },
        token: secrets.token,
      });
      const { raw, line } = logLine({ err });
      expectNoSecret(raw);
      expect(line.err).toMatchObject({ type: 'Error', message: 'provider refused' });
      expect(String((line.err as { stack?: unknown }).stack)).toContain('logger.test.ts');
    });

    it('redacts credentials nested deep in the error (request config, response data)', () => {
      const err = Object.assign(new Error('401 from provider'), {
        config: {
          request: { headers: { Authorization: secrets.bearer } },
          data: { client_secret: secrets.clientSecret },
        },
        response: { data: { customer: { phone: secrets.phone } } },
      });
      const { raw } = logLine({ err, context: { failure: err } });
      expectNoSecret(raw);
    });
  });
});

describe('a lazy child logger', () => {
  const memory = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        callback();
      },
    });
    return {
      logger: createLogger('info', stream),
      lines: () => chunks.map((c) => JSON.parse(c) as Record<string, unknown>),
    };
  };

  it('is not made until something logs through it', () => {
    const { logger } = memory();
    let made = 0;
    const counting = new Proxy(logger, {
      get: (target, property, receiver) =>
        property === 'child'
          ? (...args: Parameters<typeof logger.child>) => {
              made++;
              return target.child(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const child = lazyChild(counting, { requestId: 'req-lazy' });
    expect(made).toBe(0);
    child.warn('first');
    child.warn('second');
    expect(made).toBe(1);
  });

  it('logs with its bindings, at the parent level, through the same redaction', () => {
    const { logger, lines } = memory();
    const child = lazyChild(logger, { requestId: 'req-lazy' });
    child.debug('below the level');
    child.warn({ phone: secrets.phone, orderId: 'ord-1' }, 'above the level');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ requestId: 'req-lazy', orderId: 'ord-1', phone: '[redacted]' });
    expect(child.isLevelEnabled('debug')).toBe(false);
  });
});

describe('human-readable logs', () => {
  it('are chosen only in development with a terminal on stdout', () => {
    expect(wantsPrettyLogs('development', true)).toBe(true);
    expect(wantsPrettyLogs('development', false)).toBe(false);
    expect(wantsPrettyLogs('development', undefined)).toBe(false);
    expect(wantsPrettyLogs('production', true)).toBe(false);
    expect(wantsPrettyLogs('test', true)).toBe(false);
  });

  describe('when the logger writes through pino-pretty', () => {
    it('prints a readable line, not JSON, with the same redaction', async () => {
      const chunks: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk.toString('utf8'));
          callback();
        },
      });
      const logger = createLogger('info', await prettyDestination({ destination, colorize: false }));
      logger.info(
        { orderId: 'ord-42', customer: { name: secrets.name }, token: secrets.token },
        'order created',
      );
      const raw = chunks.join('');
      expect(raw).toMatch(/INFO.*order created/);
      expect(raw).toContain('orderId: "ord-42"');
      expect(() => JSON.parse(raw)).toThrow();
      expectNoSecret(raw);
    });
  });
});
