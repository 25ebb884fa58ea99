import { describe, expect, it } from 'vitest';
import {
  type BasketView,
  decideBasketEvent,
  decideProviderStep,
  intentStateFor,
  orderStatusFor,
} from './mapping.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 5, 12, minute));
const held: BasketView = {
  state: 'immutable',
  paymentIntentId: 'pi-1',
  paymentIntentState: 'locking',
  contentAt: at(10),
};
const open: BasketView = {
  state: 'mutable',
  paymentIntentId: null,
  paymentIntentState: null,
  contentAt: at(10),
};
const event = (
  type: Parameters<typeof decideBasketEvent>[1]['type'],
  minute = 20,
  paymentIntentId: string | null = null,
) => ({
  type,
  occurredAt: at(minute),
  paymentIntentId,
});

describe('decideBasketEvent', () => {
  describe('when a second payment intent arrives before the first one is deleted', () => {
    it('lets the newer one hold the basket, but not an older one', () => {
      expect(decideBasketEvent(held, event('PaymentIntentCreated', 20, 'pi-2'), false)).toEqual({
        apply: true,
        action: 'open_intent',
        paymentIntentId: 'pi-2',
      });
      expect(decideBasketEvent(held, event('PaymentIntentCreated', 5, 'pi-0'), false).apply).toBe(false);
    });
  });

  describe('when the deletion names another intent than the one holding the basket', () => {
    it('is not applied', () => {
      expect(decideBasketEvent(held, event('PaymentIntentDeleted', 20, 'pi-9'), false).apply).toBe(false);
      expect(decideBasketEvent(held, event('PaymentIntentDeleted', 20, 'pi-1'), false)).toMatchObject({
        action: 'close_intent',
      });
    });
  });

  describe('when a payment intent older than the content of a mutable basket arrives late', () => {
    it('is refused: that intent was deleted before the content changed', () => {
      expect(decideBasketEvent(open, event('PaymentIntentCreated', 5, 'pi-0'), false)).toEqual({
        apply: false,
        note: 'older than the basket content we hold: it was deleted before that content changed',
      });
      expect(decideBasketEvent(open, event('PaymentIntentCreated', 20, 'pi-2'), false)).toMatchObject({
        action: 'open_intent',
      });
    });
  });

  describe('when a deletion naming no intent is older than the intent holding the basket', () => {
    it('is refused; a newer one releases the holding intent', () => {
      expect(decideBasketEvent(held, event('PaymentIntentDeleted', 5), false)).toEqual({
        apply: false,
        note: 'older than payment intent pi-1, which holds the basket',
      });
      expect(decideBasketEvent(held, event('PaymentIntentDeleted', 20), false)).toEqual({
        apply: true,
        action: 'close_intent',
        paymentIntentId: 'pi-1',
      });
    });
  });

  describe('when the basket does not exist yet', () => {
    it('creates it from an update (its creation may come later) and refuses a late creation', () => {
      expect(decideBasketEvent(undefined, event('BasketUpdated'), false)).toEqual({
        apply: true,
        action: 'content',
      });
      expect(decideBasketEvent(open, event('BasketCreated'), false).apply).toBe(false);
    });
  });
});

describe('intentStateFor', () => {
  it('is refused by one refusal and locked only when every provider locked', () => {
    expect(intentStateFor(['locked', 'refused', 'requested'])).toBe('refused');
    expect(intentStateFor(['locked', 'requested'])).toBe('locking');
    expect(intentStateFor(['locked', 'locked'])).toBe('locked');
  });
});

describe('decideProviderStep', () => {
  describe('when a provider order was rejected', () => {
    it('takes no fulfilment and no confirmation', () => {
      const rejected = { processing: 'rejected', fulfilment: null } as const;
      expect(decideProviderStep(rejected, { kind: 'fulfilment', state: 'received' }).apply).toBe(false);
      expect(decideProviderStep(rejected, { kind: 'processing', state: 'confirmed' }).apply).toBe(false);
    });
  });
});

describe('orderStatusFor', () => {
  const po = (
    processing: 'sent' | 'confirmed' | 'rejected',
    fulfilment: 'received' | 'in_progress' | 'ready' | 'fulfilled' | null = null,
    tracksFulfilment = true,
  ) => ({
    processing,
    fulfilment,
    tracksFulfilment,
  });

  it('is pending while any provider order is Sent', () => {
    expect(orderStatusFor([po('confirmed', 'fulfilled'), po('sent')])).toBe('pending');
  });

  it('follows the least advanced fulfilment, ignoring rejected provider orders', () => {
    expect(
      orderStatusFor([po('confirmed', 'fulfilled'), po('confirmed', 'in_progress'), po('rejected')]),
    ).toBe('processing');
    expect(orderStatusFor([po('confirmed', 'fulfilled'), po('rejected')])).toBe('delivered');
  });

  it('does not wait for fulfilment from providers that do not report it', () => {
    expect(orderStatusFor([po('confirmed', 'ready'), po('confirmed', null, false)])).toBe('shipped');
    expect(orderStatusFor([po('confirmed', null, false)])).toBe('confirmed');
  });

  it('is cancelled when every provider order is rejected', () => {
    expect(orderStatusFor([po('rejected'), po('rejected')])).toBe('cancelled');
  });
});
