import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../integrations/provider-error.js';
import { AppError, RuleViolation } from '../lib/errors.js';
import { toMinorUnits } from '../orders/money.js';
import { StockShortageError } from '../orders/stock.js';
import { computeBackoff, isRetryable, toJobError } from './retry.js';

const BASE = 1000;
const FIVE_MINUTES = 5 * 60_000;
const TEN_MINUTES = 10 * 60_000;
const lowest = () => 0;
const highest = () => 0.999_999;

function databaseError(code: string, message = 'database said no'): Error {
  return Object.assign(new Error(message), { code });
}

describe('computeBackoff', () => {
  describe('when attempts fail one after another', () => {
    it('doubles the ceiling with every attempt', () => {
      const ceilings = [1, 2, 3, 4, 5].map((attempt) => computeBackoff(attempt, BASE, undefined, highest));
      expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16000]);
    });

    it('never waits less than half the ceiling', () => {
      const floors = [1, 2, 3, 4, 5].map((attempt) => computeBackoff(attempt, BASE, undefined, lowest));
      expect(floors).toEqual([500, 1000, 2000, 4000, 8000]);
    });

    it('treats attempt 0 like the first attempt', () => {
      expect(computeBackoff(0, BASE, undefined, highest)).toBe(1000);
    });
  });

  describe('when many jobs fail at once', () => {
    it('spreads their delays over [ceiling/2, ceiling] instead of retrying in lockstep', () => {
      let seed = 7;
      const random = () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647;
      };
      const delays = Array.from({ length: 500 }, () => computeBackoff(4, BASE, undefined, random));
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(4000);
        expect(d).toBeLessThanOrEqual(8000);
      }
      expect(new Set(delays).size).toBeGreaterThan(100);
      expect(Math.min(...delays)).toBeLessThan(4500);
      expect(Math.max(...delays)).toBeGreaterThan(7500);
    });
  });

  describe('when the attempts go on for a long time', () => {
    it('caps the delay at five minutes', () => {
      expect(computeBackoff(30, BASE, undefined, highest)).toBe(FIVE_MINUTES);
      expect(computeBackoff(1000, BASE, undefined, highest)).toBe(FIVE_MINUTES);
      expect(computeBackoff(1000, BASE, undefined, lowest)).toBe(FIVE_MINUTES / 2);
    });
  });

  describe('when the provider sent Retry-After', () => {
    const throttled = (retryAfterMs: number) =>
      new ProviderError({
        provider: 'acme',
        method: 'PUT',
        path: '/orders/1',
        reason: 'http',
        message: 'acme answered 429',
        retryable: true,
        httpStatus: 429,
        retryAfterMs,
      });

    it('waits at least as long as it asked', () => {
      expect(computeBackoff(1, BASE, throttled(30_000), highest)).toBe(30_000);
    });

    it('keeps the longer backoff when Retry-After asks for less', () => {
      expect(computeBackoff(5, BASE, throttled(100), highest)).toBe(16_000);
    });

    it('honours it beyond the five-minute backoff cap, up to ten minutes', () => {
      expect(computeBackoff(1, BASE, throttled(7 * 60_000), lowest)).toBe(7 * 60_000);
      expect(computeBackoff(1, BASE, throttled(60 * 60_000), lowest)).toBe(TEN_MINUTES);
    });

    it('is read from any AppError, not only provider errors', () => {
      const err = new AppError('unavailable', 'busy', { retryAfterMs: 20_000 });
      expect(computeBackoff(1, BASE, err, lowest)).toBe(20_000);
    });
  });

  describe('when the error carries no Retry-After', () => {
    it('uses the exponential backoff alone', () => {
      expect(computeBackoff(2, BASE, new Error('boom'), highest)).toBe(2000);
    });
  });
});

describe('isRetryable', () => {
  describe('when the payload cannot be parsed', () => {
    it('says a retry cannot help', () => {
      const parsed = z.object({ a: z.string() }).safeParse({ a: 1 });
      expect(parsed.success).toBe(false);
      expect(isRetryable(parsed.error)).toBe(false);
    });
  });

  describe('when an amount in the payload is out of range', () => {
    it('says a retry cannot help', () => {
      let err: unknown;
      try {
        toMinorUnits('99999999999999999999.99', 'TRY');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RangeError);
      expect(isRetryable(err)).toBe(false);
    });
  });

  describe('when the error is already unrecoverable', () => {
    it('says a retry cannot help', () => {
      expect(isRetryable(new UnrecoverableError('no'))).toBe(false);
    });
  });

  describe('when a business rule refused the command', () => {
    it('says a retry cannot help', () => {
      expect(isRetryable(new RuleViolation('too_late', 'acceptance window closed'))).toBe(false);
      expect(isRetryable(new StockShortageError([{ sku: 'A', requested: 2, available: 0 }]))).toBe(false);
      expect(isRetryable(new AppError('validation_failed', 'bad'))).toBe(false);
    });
  });

  describe('when a dependency is unavailable', () => {
    it('says a retry can help', () => {
      expect(isRetryable(new AppError('unavailable', 'db down'))).toBe(true);
      expect(isRetryable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
        true,
      );
      expect(isRetryable(databaseError('57P01', 'terminating connection due to administrator command'))).toBe(
        true,
      );
      expect(isRetryable(databaseError('40001', 'could not serialize access'))).toBe(true);
      expect(isRetryable(databaseError('40P01', 'deadlock detected'))).toBe(true);
    });
  });

  describe('when the provider refused or failed the call', () => {
    const providerError = (retryable: boolean, httpStatus: number) =>
      new ProviderError({
        provider: 'acme',
        method: 'PUT',
        path: '/x',
        reason: 'http',
        message: `acme answered ${httpStatus}`,
        retryable,
        httpStatus,
      });

    it('follows the provider layer verdict', () => {
      expect(isRetryable(providerError(false, 400))).toBe(false);
      expect(isRetryable(providerError(true, 503))).toBe(true);
    });
  });

  describe('when the database rejects the data itself', () => {
    it('says a retry cannot help for a missing referenced row, a check or a bad value', () => {
      expect(isRetryable(databaseError('23503', 'violates foreign key constraint'))).toBe(false);
      expect(isRetryable(databaseError('23514', 'violates check constraint'))).toBe(false);
      expect(isRetryable(databaseError('23502', 'null value in column'))).toBe(false);
      expect(isRetryable(databaseError('22P02', 'invalid input syntax for type uuid'))).toBe(false);
      expect(isRetryable(databaseError('22003', 'numeric field overflow'))).toBe(false);
    });

    it('retries a unique violation, which a concurrent insert of the same row causes', () => {
      expect(isRetryable(databaseError('23505', 'duplicate key value'))).toBe(true);
    });
  });

  describe('when the error is unknown', () => {
    it('retries it', () => {
      expect(isRetryable(new Error('something odd'))).toBe(true);
      expect(isRetryable('a string')).toBe(true);
    });
  });
});

describe('toJobError', () => {
  describe('when the error is permanent', () => {
    it('becomes an UnrecoverableError with the same message and the original as cause', () => {
      const original = databaseError('23503', 'violates foreign key constraint "orders_warehouse_code_fkey"');
      const wrapped = toJobError(original);
      expect(wrapped).toBeInstanceOf(UnrecoverableError);
      expect(wrapped.message).toBe(original.message);
      expect(wrapped.cause).toBe(original);
    });
  });

  describe('when the error is retryable', () => {
    it('is passed through so BullMQ retries it with its Retry-After', () => {
      const err = new AppError('unavailable', 'busy', { retryAfterMs: 5000 });
      expect(toJobError(err)).toBe(err);
      const wrapped = toJobError('plain string');
      expect(wrapped).toBeInstanceOf(Error);
      expect(wrapped).not.toBeInstanceOf(UnrecoverableError);
    });
  });
});
