import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toMinorUnits } from '../../orders/money.js';
import {
  classifyEvent,
  type LifecycleStep,
  lifecycleSteps,
  orderFacts,
  stepAdvances,
  UnusablePayloadError,
} from './mapping.js';
import { notificationSchema } from './schema.js';

function fold(steps: readonly LifecycleStep[]): LifecycleStep | null {
  let current: LifecycleStep | null = null;
  for (const step of steps) if (stepAdvances(current, step)) current = step;
  return current;
}

describe('stepAdvances', () => {
  it('moves forward only, lets cancelled follow any non-final step, and nothing follow a final one', () => {
    expect(stepAdvances(null, 'driver_arrived')).toBe(true);
    expect(stepAdvances('driver_arrived', 'driver_otw_pickup')).toBe(false);
    expect(stepAdvances('driver_otw_pickup', 'driver_otw_pickup')).toBe(false);
    expect(stepAdvances('merchant_accepted', 'cancelled')).toBe(true);
    expect(stepAdvances('completed', 'cancelled')).toBe(false);
    expect(stepAdvances('cancelled', 'completed')).toBe(false);
  });

  describe('when the same steps arrive in any order, duplicated', () => {
    it('ends on the same channel status (unless both completed and cancelled are present)', () => {
      fc.assert(
        fc.property(
          fc
            .subarray([...lifecycleSteps], { minLength: 1 })
            .filter((s) => !(s.includes('completed') && s.includes('cancelled'))),
          fc.infiniteStream(fc.nat()),
          (steps, seeds) => {
            const expected = fold(steps);
            const shuffled = [...steps, ...steps.slice(0, 2)];
            const it = seeds[Symbol.iterator]();
            for (let i = shuffled.length - 1; i > 0; i--) {
              const j = (it.next().value as number) % (i + 1);
              [shuffled[i], shuffled[j]] = [shuffled[j] as LifecycleStep, shuffled[i] as LifecycleStep];
            }
            expect(fold(shuffled)).toBe(expected);
          },
        ),
      );
    });
  });
});

describe('classifyEvent', () => {
  it('tells steps, the payment settlement and unknown names apart', () => {
    expect(classifyEvent('gofood.order.driver_arrived')).toEqual({ kind: 'step', step: 'driver_arrived' });
    expect(classifyEvent('gofood.order.placed')).toEqual({ kind: 'payment_settled' });
    expect(classifyEvent('gofood.order.created')).toEqual({ kind: 'unknown', name: 'gofood.order.created' });
    expect(classifyEvent(undefined)).toEqual({ kind: 'unknown', name: '' });
  });
});

describe('orderFacts', () => {
  it('converts decimal IDR amounts to minor units without floats', () => {
    const n = notificationSchema.parse({
      header: null,
      body: {
        order: {
          order_number: 'F-1',
          currency: null,
          order_total: '0.3',
          order_items: [{ id: 'i1', quantity: 3, price: 0.1, variants: null }],
        },
      },
    });
    const facts = orderFacts(n, toMinorUnits);
    expect(facts).toMatchObject({ currency: 'IDR', subtotal: 30, total: 30 });
    expect(facts.items[0]).toMatchObject({ sku: 'i1', unitPrice: 10, quantity: 3 });
  });

  it('refuses an order without a number or with an item without any id', () => {
    expect(() => orderFacts(notificationSchema.parse({ body: { order: {} } }), toMinorUnits)).toThrow(
      UnusablePayloadError,
    );
    const noId = notificationSchema.parse({
      body: { order: { order_number: 'F-2', order_items: [{ name: 'x' }] } },
    });
    expect(() => orderFacts(noId, toMinorUnits)).toThrow(/neither external_id nor id/);
  });
});
