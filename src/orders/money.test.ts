import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currencyExponent,
  decimalToMinorUnits,
  formatMinorUnits,
  sumMinor,
  toMinorUnits,
  weightLineTotal,
} from './money.js';

describe('toMinorUnits', () => {
  describe('when the currency has two decimals', () => {
    it('converts numbers and decimal strings alike', () => {
      expect(toMinorUnits(12.5, 'TRY')).toBe(1250);
      expect(toMinorUnits('12.50', 'TRY')).toBe(1250);
      expect(toMinorUnits('12.5', 'try')).toBe(1250);
      expect(toMinorUnits(12, 'EUR')).toBe(1200);
      expect(toMinorUnits('12', 'EUR')).toBe(1200);
      expect(toMinorUnits('12.', 'EUR')).toBe(1200);
      expect(toMinorUnits('.5', 'EUR')).toBe(50);
      expect(toMinorUnits(' 7.05 ', 'EUR')).toBe(705);
      expect(toMinorUnits(0, 'EUR')).toBe(0);
    });

    it('is not fooled by binary floating point', () => {
      expect(toMinorUnits(0.1 + 0.2, 'EUR')).toBe(30);
      expect(toMinorUnits(1.005, 'EUR')).toBe(101);
      expect(toMinorUnits(19.99, 'EUR')).toBe(1999);
      expect(toMinorUnits(4.35, 'EUR')).toBe(435);
      expect(toMinorUnits(1.15 * 3, 'EUR')).toBe(345);
      expect(toMinorUnits(123456789.99, 'EUR')).toBe(12345678999);
    });

    it('rounds half away from zero on the first dropped digit', () => {
      expect(toMinorUnits('0.125', 'EUR')).toBe(13);
      expect(toMinorUnits('0.1249', 'EUR')).toBe(12);
      expect(toMinorUnits('0.995', 'EUR')).toBe(100);
      expect(toMinorUnits('-0.125', 'EUR')).toBe(-13);
      expect(toMinorUnits('-12.5', 'EUR')).toBe(-1250);
    });

    it('converts numbers too small for plain notation', () => {
      expect(toMinorUnits(1e-7, 'EUR')).toBe(0);
      expect(toMinorUnits(0.005, 'EUR')).toBe(1);
    });
  });

  describe('when the currency has three decimals', () => {
    it('keeps three digits (KWD, BHD, JOD, OMR, TND)', () => {
      expect(toMinorUnits('1.234', 'KWD')).toBe(1234);
      expect(toMinorUnits(1.5, 'BHD')).toBe(1500);
      expect(toMinorUnits('1.2345', 'JOD')).toBe(1235);
      expect(toMinorUnits('0.0004', 'OMR')).toBe(0);
      expect(toMinorUnits('2', 'tnd')).toBe(2000);
      expect(currencyExponent('KWD')).toBe(3);
    });
  });

  describe('when the currency has no minor unit', () => {
    it('keeps whole units and rounds fractions (JPY, KRW)', () => {
      expect(toMinorUnits(1500, 'JPY')).toBe(1500);
      expect(toMinorUnits('1500', 'JPY')).toBe(1500);
      expect(toMinorUnits('1500.4', 'JPY')).toBe(1500);
      expect(toMinorUnits('1500.5', 'JPY')).toBe(1501);
      expect(toMinorUnits(99.9, 'krw')).toBe(100);
      expect(currencyExponent('JPY')).toBe(0);
    });
  });

  describe('when the amount is not a decimal number', () => {
    it.each([
      ['abc'],
      [''],
      ['  '],
      ['.'],
      ['-'],
      ['+'],
      ['1,50'],
      ['1.2.3'],
      ['12 EUR'],
      ['1e3'],
      ['0x10'],
      ['--1'],
    ])('rejects %j', (value) => {
      expect(() => toMinorUnits(value, 'EUR')).toThrow(RangeError);
    });

    it('rejects non-finite numbers', () => {
      expect(() => toMinorUnits(Number.NaN, 'EUR')).toThrow(RangeError);
      expect(() => toMinorUnits(Number.POSITIVE_INFINITY, 'EUR')).toThrow(RangeError);
      expect(() => toMinorUnits(Number.NEGATIVE_INFINITY, 'EUR')).toThrow(RangeError);
    });

    it('rejects amounts beyond safe integers instead of losing precision', () => {
      expect(() => toMinorUnits('90071992547409.93', 'EUR')).toThrow(RangeError);
      expect(() => toMinorUnits(1e21, 'EUR')).toThrow(RangeError);
    });
  });
});

describe('toMinorUnits on numbers, against its decimal path', () => {
  const currency = fc.constantFrom('TRY', 'JPY', 'KWD');
  /** The same amount through the decimal path alone, or the error it throws. */
  const decimal = (amount: number, code: string) => {
    try {
      return decimalToMinorUnits(amount, currencyExponent(code));
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
  const converted = (amount: number, code: string) => {
    try {
      return toMinorUnits(amount, code);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
  const minor = fc.integer({ min: -(10 ** 13) + 1, max: 10 ** 13 - 1 });

  it('gives the same integer for a whole count of minor units, N / 10^digits', () => {
    fc.assert(
      fc.property(minor, currency, (n, code) => {
        const amount = n / 10 ** currencyExponent(code);
        expect(toMinorUnits(amount, code)).toBe(n);
        expect(decimal(amount, code)).toBe(n);
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives the same integer for sums and products with binary noise (0.1 + 0.2)', () => {
    fc.assert(
      fc.property(minor, minor, fc.integer({ min: 1, max: 1000 }), currency, (a, b, k, code) => {
        const unit = 10 ** currencyExponent(code);
        for (const amount of [a / unit + b / unit, (a / unit) * k, a / unit - b / unit]) {
          expect(converted(amount, code)).toBe(decimal(amount, code));
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives the same answer for amounts with more decimals than the currency has, and any other double', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(minor, fc.integer({ min: 1, max: 6 })).map(([n, extra]) => n / 10 ** (2 + extra)),
          fc.double({ min: -1e14, max: 1e14, noNaN: true }),
          fc.double({ noNaN: false }),
        ),
        currency,
        (amount, code) => {
          expect(converted(amount, code)).toBe(decimal(amount, code));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('never answers -0', () => {
    expect(Object.is(toMinorUnits(-0, 'TRY'), 0)).toBe(true);
    expect(Object.is(toMinorUnits(-0.001, 'TRY'), 0)).toBe(true);
  });
});

describe('weightLineTotal', () => {
  it('prices grams against a per-kg price, rounding half up', () => {
    expect(weightLineTotal(10_000, 1500)).toBe(15_000);
    expect(weightLineTotal(999, 500)).toBe(500);
    expect(weightLineTotal(1, 499)).toBe(0);
  });
});

describe('sumMinor', () => {
  it('adds integers exactly', () => {
    expect(sumMinor([])).toBe(0);
    expect(sumMinor([10, 20, 30])).toBe(60);
  });
});

describe('formatMinorUnits', () => {
  it('writes minor units in the major unit with the currency’s digits', () => {
    expect(formatMinorUnits(27_792, 'TRY')).toBe('277.92');
    expect(formatMinorUnits(5, 'TRY')).toBe('0.05');
    expect(formatMinorUnits(-1_050, 'EUR')).toBe('-10.50');
    expect(formatMinorUnits(500, 'JPY')).toBe('500');
  });

  it('is the inverse of toMinorUnits', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (minor) => {
        expect(toMinorUnits(formatMinorUnits(minor, 'TRY'), 'TRY')).toBe(minor);
      }),
    );
  });
});
