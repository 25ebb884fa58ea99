import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the embedded defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ NODE_ENV: 'development', PORT: 3000, BODY_LIMIT_BYTES: 1024 * 1024 });
    expect([config.DATABASE_URL, config.REDIS_URL, config.ADMIN_TOKEN]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('coerces numbers and treats empty URLs as unset', () => {
    const config = loadConfig({ PORT: '8080', DATABASE_URL: '', REDIS_URL: ' ', WORKER_CONCURRENCY: '4' });
    expect(config).toMatchObject({ PORT: 8080, WORKER_CONCURRENCY: 4 });
    expect([config.DATABASE_URL, config.REDIS_URL]).toEqual([undefined, undefined]);
  });

  describe('when tokens and secrets carry surrounding whitespace', () => {
    const secrets = [
      'ADMIN_TOKEN',
      'GOFOOD_NOTIFICATION_SECRET',
      'GOFOOD_CLIENT_ID',
      'GOFOOD_CLIENT_SECRET',
      'YEMEKSEPETI_MARKET_TOKEN',
      'YEMEKSEPETI_SU_TOKEN',
      'YEMEKSEPETI_CLIENT_ID',
      'YEMEKSEPETI_CLIENT_SECRET',
    ] as const;

    it('trims them', () => {
      const value = 'secret-value-0123456789';
      const config = loadConfig(Object.fromEntries(secrets.map((key) => [key, ` ${value}\r\n`])));
      expect(secrets.map((key) => config[key])).toEqual(secrets.map(() => value));
    });

    it('treats a whitespace-only value as unset', () => {
      const config = loadConfig(Object.fromEntries(secrets.map((key) => [key, ' \n\t'])));
      expect(secrets.map((key) => config[key])).toEqual(secrets.map(() => undefined));
    });

    it('checks the length of ADMIN_TOKEN after trimming', () => {
      expect(problemsOf({ ADMIN_TOKEN: `short${' '.repeat(20)}\n` })).toEqual([
        'ADMIN_TOKEN: must be at least 16 characters',
      ]);
    });
  });

  describe('when the job lock would be renewed no sooner than it expires', () => {
    it('lists WORKER_LOCK_RENEW_MS as a problem', () => {
      expect(problemsOf({ WORKER_LOCK_MS: '2000', WORKER_LOCK_RENEW_MS: '2000' })).toEqual([
        'WORKER_LOCK_RENEW_MS: must be shorter than WORKER_LOCK_MS, or locks expire between renewals',
      ]);
      expect(loadConfig({ WORKER_LOCK_MS: '2001', WORKER_LOCK_RENEW_MS: '2000' }).WORKER_LOCK_MS).toBe(2001);
    });
  });

  describe('WORKER_METRICS_PORT', () => {
    it('is off when unset or blank, and binds loopback by default', () => {
      expect(loadConfig({}).WORKER_METRICS_PORT).toBeUndefined();
      expect(loadConfig({ WORKER_METRICS_PORT: ' ' }).WORKER_METRICS_PORT).toBeUndefined();
      expect(loadConfig({ WORKER_METRICS_PORT: '9464' })).toMatchObject({
        WORKER_METRICS_PORT: 9464,
        WORKER_METRICS_HOST: '127.0.0.1',
      });
    });

    it('lists a value that is not a port as a problem', () => {
      expect(problemsOf({ WORKER_METRICS_PORT: 'metrics' }).map((p) => p.split(':')[0])).toEqual([
        'WORKER_METRICS_PORT',
      ]);
      expect(problemsOf({ WORKER_METRICS_PORT: '70000' }).map((p) => p.split(':')[0])).toEqual([
        'WORKER_METRICS_PORT',
      ]);
    });
  });

  describe('RECONCILE_STUCK_AFTER', () => {
    it('reads channel:state=duration pairs, with * for every channel', () => {
      expect(
        loadConfig({ RECONCILE_STUCK_AFTER: 'gofood:pending=20m, *:shipped=7d,manual:confirmed=90s' })
          .RECONCILE_STUCK_AFTER,
      ).toEqual([
        { channel: 'gofood', status: 'pending', ms: 20 * 60_000 },
        { channel: '*', status: 'shipped', ms: 7 * 86_400_000 },
        { channel: 'manual', status: 'confirmed', ms: 90_000 },
      ]);
    });

    it.each([['gofood:delivered=1h'], ['gofood:pending=soon'], ['pending=1h']])(
      'lists %s as a problem (not an open state, no duration, no channel)',
      (value) => {
        expect(problemsOf({ RECONCILE_STUCK_AFTER: value }).map((p) => p.split(':')[0])).toEqual([
          'RECONCILE_STUCK_AFTER',
        ]);
      },
    );
  });

  describe('when several variables are wrong', () => {
    it('lists every problem at once, each naming its variable', () => {
      const problems = problemsOf({
        PORT: 'abc',
        DATABASE_URL: 'notaurl',
        REDIS_URL: 'also not a url',
        ADMIN_TOKEN: 'short',
        LOG_LEVEL: 'loud',
        WORKER_CONCURRENCY: '-1',
      });
      const variables = problems.map((p) => p.split(':')[0]).sort();
      expect(variables).toEqual([
        'ADMIN_TOKEN',
        'DATABASE_URL',
        'LOG_LEVEL',
        'PORT',
        'REDIS_URL',
        'WORKER_CONCURRENCY',
      ]);
      expect(problems.find((p) => p.startsWith('ADMIN_TOKEN'))).toContain('at least 16 characters');
    });

    it('puts the list in the error message, one line per problem', () => {
      let message = '';
      try {
        loadConfig({ PORT: '70000', NODE_ENV: 'staging' });
      } catch (err) {
        message = err instanceof Error ? err.message : '';
      }
      expect(message.split('\n')).toEqual([
        'Invalid configuration:',
        expect.stringMatching(/^ {2}- NODE_ENV: /),
        expect.stringMatching(/^ {2}- PORT: /),
      ]);
    });
  });

  describe('when NODE_ENV is production', () => {
    it('requires ADMIN_TOKEN', () => {
      expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
        'ADMIN_TOKEN: required when NODE_ENV=production',
      ]);
      expect(problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: ' '.repeat(20) })).toEqual([
        'ADMIN_TOKEN: required when NODE_ENV=production',
      ]);
    });

    it('lists the missing ADMIN_TOKEN together with the other problems', () => {
      const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc' });
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['ADMIN_TOKEN', 'PORT']);
    });

    it('accepts a proper token', () => {
      expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(32) }).ADMIN_TOKEN).toBe(
        'a'.repeat(32),
      );
    });

    const admin = 'A'.repeat(32);
    it('refuses an admin token shorter than 32 characters, in ADMIN_TOKEN or ADMIN_TOKENS', () => {
      expect(problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(31) })).toEqual([
        'ADMIN_TOKEN: must be at least 32 characters in production',
      ]);
      expect(
        problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: admin, ADMIN_TOKENS: `${'v'.repeat(20)}:viewer` }),
      ).toEqual(['ADMIN_TOKENS entry 1: must be at least 32 characters in production']);
    });

    it('refuses a provider secret shorter than 16 characters', () => {
      expect(
        problemsOf({
          NODE_ENV: 'production',
          ADMIN_TOKEN: admin,
          GOFOOD_NOTIFICATION_SECRET: 'x'.repeat(15),
        }),
      ).toEqual(['GOFOOD_NOTIFICATION_SECRET: must be at least 16 characters in production']);
    });

    it('refuses one secret used for two purposes', () => {
      expect(
        problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: admin, YEMEKSEPETI_MARKET_TOKEN: admin }),
      ).toEqual([
        'YEMEKSEPETI_MARKET_TOKEN: the same value as ADMIN_TOKEN; every secret must serve one purpose',
      ]);
      const shared = 'password12345678';
      expect(
        problemsOf({
          NODE_ENV: 'production',
          ADMIN_TOKEN: admin,
          GOFOOD_NOTIFICATION_SECRET: shared,
          GOFOOD_CLIENT_SECRET: shared,
        }),
      ).toEqual([
        'GOFOOD_CLIENT_SECRET: the same value as GOFOOD_NOTIFICATION_SECRET; every secret must serve one purpose',
      ]);
    });

    it('accepts ADMIN_TOKENS with an admin token in place of ADMIN_TOKEN', () => {
      const config = loadConfig({ NODE_ENV: 'production', ADMIN_TOKENS: `${admin}:admin` });
      expect(config.ADMIN_TOKENS).toEqual([{ token: admin, role: 'admin' }]);
    });

    describe('and DELIVERY_WEBHOOK_URL is set', () => {
      const signed = { DELIVERY_WEBHOOK_SECRET: 'delivery-signing-key-0123' };

      it('refuses an http URL, naming the variable', () => {
        expect(
          problemsOf({
            NODE_ENV: 'production',
            ADMIN_TOKEN: admin,
            DELIVERY_WEBHOOK_URL: 'http://delivery.internal/deliveries',
            ...signed,
          }),
        ).toEqual(['DELIVERY_WEBHOOK_URL: must be https when NODE_ENV=production']);
      });

      it('refuses to send unsigned: DELIVERY_WEBHOOK_SECRET is required', () => {
        expect(
          problemsOf({
            NODE_ENV: 'production',
            ADMIN_TOKEN: admin,
            DELIVERY_WEBHOOK_URL: 'https://delivery.example/deliveries',
          }),
        ).toEqual([
          'DELIVERY_WEBHOOK_SECRET: required when DELIVERY_WEBHOOK_URL is set and NODE_ENV=production',
        ]);
      });

      it('refuses a signing key shorter than 16 characters, or one that serves another purpose', () => {
        const url = { DELIVERY_WEBHOOK_URL: 'https://delivery.example/deliveries' };
        expect(
          problemsOf({
            NODE_ENV: 'production',
            ADMIN_TOKEN: admin,
            ...url,
            DELIVERY_WEBHOOK_SECRET: 'x'.repeat(15),
          }),
        ).toEqual(['DELIVERY_WEBHOOK_SECRET: must be at least 16 characters in production']);
        expect(
          problemsOf({
            NODE_ENV: 'production',
            ADMIN_TOKEN: admin,
            ...url,
            GOFOOD_NOTIFICATION_SECRET: 'password12345678',
            DELIVERY_WEBHOOK_SECRET: 'password12345678',
          }),
        ).toEqual([
          'GOFOOD_NOTIFICATION_SECRET: the same value as DELIVERY_WEBHOOK_SECRET; every secret must serve one purpose',
        ]);
        expect(
          problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: admin, ...url, DELIVERY_WEBHOOK_SECRET: admin }),
        ).toEqual([
          'DELIVERY_WEBHOOK_SECRET: the same value as ADMIN_TOKEN; every secret must serve one purpose',
        ]);
      });

      it('accepts an https URL with its own signing key, and the next key of a rotation', () => {
        const config = loadConfig({
          NODE_ENV: 'production',
          ADMIN_TOKEN: admin,
          DELIVERY_WEBHOOK_URL: 'https://delivery.example/deliveries',
          ...signed,
          DELIVERY_WEBHOOK_SECRET_NEXT: 'delivery-signing-key-next',
        });
        expect(config.DELIVERY_WEBHOOK_URL).toBe('https://delivery.example/deliveries');
      });
    });
  });

  describe('when NODE_ENV is development and DELIVERY_WEBHOOK_URL is set', () => {
    it('allows http and an unsigned webhook', () => {
      const config = loadConfig({ DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:4000/deliveries' });
      expect(config.DELIVERY_WEBHOOK_URL).toBe('http://127.0.0.1:4000/deliveries');
      expect(config.DELIVERY_WEBHOOK_SECRET).toBeUndefined();
    });

    it('refuses a URL that is not http(s), and a next key without a current one', () => {
      expect(
        problemsOf({ DELIVERY_WEBHOOK_URL: 'ftp://delivery.example/x' }).map((p) => p.split(':')[0]),
      ).toEqual(['DELIVERY_WEBHOOK_URL']);
      expect(problemsOf({ DELIVERY_WEBHOOK_SECRET_NEXT: 'delivery-signing-key-next' })).toEqual([
        'DELIVERY_WEBHOOK_SECRET_NEXT: set DELIVERY_WEBHOOK_SECRET too (the key being rotated away)',
      ]);
    });
  });

  describe('when ADMIN_TOKENS is malformed', () => {
    it('lists each bad entry without echoing the token', () => {
      const problems = problemsOf({
        ADMIN_TOKENS: `${'t'.repeat(20)}:root, short-token:viewer,${'o'.repeat(20)}`,
      });
      expect(problems).toEqual([
        'ADMIN_TOKENS: entry 1: expected token:role with a role of viewer, operator, admin',
        'ADMIN_TOKENS: entry 2: the token must be at least 16 characters',
        'ADMIN_TOKENS: entry 3: expected token:role with a role of viewer, operator, admin',
      ]);
      expect(problems.join(' ')).not.toContain('short-token');
    });
  });
});

describe('the default queue prefix', () => {
  describe('when two checkouts run in development without REDIS_URL', () => {
    it('gives each data directory its own prefix, the same one on every start', () => {
      const first = loadConfig({ DATA_DIR: '/home/dev/ordergate/.data' });
      const second = loadConfig({ DATA_DIR: '/home/dev/ordergate-copy/.data' });
      expect(first.QUEUE_PREFIX).toMatch(/^\{ordergate-[0-9a-f]{10}\}$/);
      expect(second.QUEUE_PREFIX).toMatch(/^\{ordergate-[0-9a-f]{10}\}$/);
      expect(first.QUEUE_PREFIX).not.toBe(second.QUEUE_PREFIX);
      expect(loadConfig({ DATA_DIR: '/home/dev/ordergate/.data/' }).QUEUE_PREFIX).toBe(first.QUEUE_PREFIX);
    });

    it('derives it from the absolute path, so the relative default differs between checkouts', () => {
      const here = loadConfig({}).QUEUE_PREFIX;
      expect(loadConfig({ DATA_DIR: `${process.cwd()}/.data` }).QUEUE_PREFIX).toBe(here);
      expect(here).not.toBe('{ordergate}');
    });
  });

  it('is the shared {ordergate} when REDIS_URL names the Redis of a deployment', () => {
    expect(loadConfig({ REDIS_URL: 'redis://redis-host:6379', DATA_DIR: '/a' }).QUEUE_PREFIX).toBe(
      '{ordergate}',
    );
  });

  it('is the shared {ordergate} outside development', () => {
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: '/a' }).QUEUE_PREFIX).toBe('{ordergate}');
    expect(
      loadConfig({
        NODE_ENV: 'production',
        ADMIN_TOKEN: 'a-production-admin-token-0123456789abcdef',
        DATA_DIR: '/a',
      }).QUEUE_PREFIX,
    ).toBe('{ordergate}');
  });

  it('gives way to QUEUE_PREFIX when it is set', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{mine}', DATA_DIR: '/a' }).QUEUE_PREFIX).toBe('{mine}');
    expect(loadConfig({ QUEUE_PREFIX: ' ', DATA_DIR: '/a' }).QUEUE_PREFIX).toMatch(/^\{ordergate-/);
  });
});
