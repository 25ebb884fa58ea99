import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  applyBasisPoints,
  type CatalogEntry,
  type DiscountRule,
  PricingError,
  quote,
} from './pricing.js';

const now = new Date('2026-12-05T10:00:00.000Z');
const shipping = { fee: 5000, freeFrom: 50_000 };

function catalogOf(entries: CatalogEntry[]) {
  return new Map(entries.map((e) => [e.sku, e]));
}

describe('rounding, as docs/storefront.md states it', () => {
  it('rounds GST half up per line, after the line’s share of the discount', () => {
    // 333 × 18% = 59.94 → 60; 250 × 5% = 12.5 → 13.
    expect(applyBasisPoints(333, 1800)).toBe(60);
    expect(applyBasisPoints(250, 500)).toBe(13);
    expect(applyBasisPoints(249, 500)).toBe(12);
  });

  it('rounds a percent discount down and shares it by line amount, remainders to the largest fractions', () => {
    const q = quote({
      items: [
        { sku: 'a', quantity: 1 },
        { sku: 'b', quantity: 2 },
      ],
      catalog: catalogOf([
        { sku: 'a', name: 'A', price: 999, gstRateBp: 1800 },
        { sku: 'b', name: 'B', price: 1001, gstRateBp: 500 },
      ]),
      discount: { code: 'TEN', kind: 'percent', value: 10, minSubtotal: null, active: true },
      shipping,
      currency: 'INR',
      now,
    });
    // subtotal 999 + 2002 = 3001; 10% = 300.1 → 300; shares 300 × 999/3001 = 99.87 and 300 × 2002/3001 = 200.13
    // → 99 and 200, the one unit left to the larger fraction (line a): 100 and 200.
    expect(q.subtotal).toBe(3001);
    expect(q.discount).toBe(300);
    expect(q.lines.map((l) => l.discount)).toEqual([100, 200]);
    // GST: (999 − 100) × 18% = 161.82 → 162; (2002 − 200) × 5% = 90.1 → 90.
    expect(q.lines.map((l) => l.gst)).toEqual([162, 90]);
    expect(q.shipping).toBe(5000);
    expect(q.total).toBe(3001 - 300 + 252 + 5000);
  });

  it('ships free from the configured subtotal after discount', () => {
    const q = quote({
      items: [{ sku: 'a', quantity: 5 }],
      catalog: catalogOf([{ sku: 'a', name: 'A', price: 10_000, gstRateBp: 0 }]),
      discount: undefined,
      shipping,
      currency: 'INR',
      now,
    });
    expect(q.shipping).toBe(0);
    expect(q.total).toBe(50_000);
  });
});

describe('when the cart cannot be priced', () => {
  const catalog = catalogOf([{ sku: 'a', name: 'A', price: 100, gstRateBp: 0 }]);
  const rule = (over: Partial<DiscountRule>): DiscountRule => ({
    code: 'X',
    kind: 'fixed',
    value: 10,
    minSubtotal: null,
    active: true,
    ...over,
  });
  it.each([
    ['an unknown sku', [{ sku: 'zz', quantity: 1 }], undefined, /unknown sku zz/],
    ['an inactive code', [{ sku: 'a', quantity: 1 }], rule({ active: false }), /not active/],
    ['a subtotal under the minimum', [{ sku: 'a', quantity: 1 }], rule({ minSubtotal: 101 }), /at least 101/],
  ])('refuses %s', (_name, items, discount, message) => {
    expect(() => quote({ items, catalog, discount, shipping, currency: 'INR', now })).toThrow(PricingError);
    expect(() => quote({ items, catalog, discount, shipping, currency: 'INR', now })).toThrow(message);
  });
});

describe('the snapshots', () => {
  it('hash the same rules the same and other rules differently', () => {
    const base = {
      items: [{ sku: 'a', quantity: 1 }],
      discount: { code: 'F', kind: 'fixed' as const, value: 5, minSubtotal: null, active: true },
      shipping,
      currency: 'INR',
    };
    const catalog = catalogOf([{ sku: 'a', name: 'A', price: 100, gstRateBp: 1800 }]);
    const first = quote({ ...base, catalog, now });
    const later = quote({ ...base, catalog, now: new Date('2027-01-01T00:00:00Z') });
    const repriced = quote({
      ...base,
      catalog: catalogOf([{ sku: 'a', name: 'A', price: 101, gstRateBp: 1800 }]),
      now,
    });
    expect(later.pricingSnapshot.ruleHash).toBe(first.pricingSnapshot.ruleHash);
    expect(later.discountSnapshot.ruleHash).toBe(first.discountSnapshot.ruleHash);
    expect(repriced.pricingSnapshot.ruleHash).not.toBe(first.pricingSnapshot.ruleHash);
    expect(first.pricingSnapshot).toMatchObject({
      engineVersion: 'storefront-pricing/1',
      timestamp: now.toISOString(),
    });
    expect(first.discountSnapshot.appliedDiscounts).toEqual([
      { code: 'F', kind: 'fixed', value: 5, amount: 5 },
    ]);
  });
});

const entryArb = fc.record({
  price: fc.integer({ min: 0, max: 10_000_000 }),
  gstRateBp: fc.constantFrom(0, 25, 300, 500, 1200, 1800, 2800),
  quantity: fc.integer({ min: 1, max: 1000 }),
});
const discountArb = fc.option(
  fc.oneof(
    fc.record({ kind: fc.constant('percent' as const), value: fc.integer({ min: 1, max: 100 }) }),
    fc.record({ kind: fc.constant('fixed' as const), value: fc.integer({ min: 1, max: 1e9 }) }),
  ),
  { nil: undefined },
);

describe('for any cart (property)', () => {
  it('the totals add up, the discount is shared exactly and never exceeds the subtotal', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 12 }), discountArb, (entries, d) => {
        const catalog = catalogOf(entries.map((e, i) => ({ sku: `s${i}`, name: `S${i}`, ...e })));
        const q = quote({
          items: entries.map((e, i) => ({ sku: `s${i}`, quantity: e.quantity })),
          catalog,
          discount: d ? { code: 'D', minSubtotal: null, active: true, ...d } : undefined,
          shipping,
          currency: 'INR',
          now,
        });
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        expect(q.subtotal).toBe(sum(q.lines.map((l) => l.amount)));
        expect(q.discount).toBe(sum(q.lines.map((l) => l.discount)));
        expect(q.gst).toBe(sum(q.lines.map((l) => l.gst)));
        expect(q.total).toBe(q.subtotal - q.discount + q.gst + q.shipping);
        expect(q.discount).toBeLessThanOrEqual(q.subtotal);
        for (const l of q.lines) {
          expect(Number.isSafeInteger(l.gst) && l.discount >= 0 && l.discount <= l.amount).toBe(true);
          // Half up: within half a minor unit of the exact tax.
          expect(Math.abs(l.gst - ((l.amount - l.discount) * l.gstRateBp) / 10_000)).toBeLessThanOrEqual(0.5);
        }
      }),
    );
  });

  it('allocate shares any total exactly, each part within one unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 20 }),
        fc.nat(1e9),
        (w, t) => {
          const sumW = w.reduce((a, b) => a + b, 0);
          const total = Math.min(t, sumW);
          const parts = allocate(total, w);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(sumW === 0 ? 0 : total);
          parts.forEach((p, i) => {
            expect(Math.abs(p - (sumW === 0 ? 0 : (total * (w[i] ?? 0)) / sumW))).toBeLessThan(1);
          });
        },
      ),
    );
  });
});
