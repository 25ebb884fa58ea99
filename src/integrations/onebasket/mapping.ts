/**
 * The OneBasket rules as pure functions: what a basket event does to a basket, what a provider's answer does
 * to a provider order, and which internal status a whole order has given its provider orders. Described in
 * docs/onebasket.md.
 */
import type { BasketState, FulfilmentState, PaymentIntentState, ProcessingState } from '../../db/schema.js';
import type { OrderStatus } from '../../orders/status.js';
import { type BasketEventType, basketEventTypes } from './schema.js';

export function isBasketEventType(type: string): type is BasketEventType {
  return (basketEventTypes as readonly string[]).includes(type);
}

/** What is known of a basket when an event about it is applied. */
export interface BasketView {
  state: BasketState;
  paymentIntentId: string | null;
  paymentIntentState: PaymentIntentState | null;
  /** When the content we hold was true at OneBasket. */
  contentAt: Date | null;
}

export type BasketDecision =
  | { apply: false; note: string }
  /** Replace the basket's content (creating the basket if needed); it stays or becomes mutable. */
  | { apply: true; action: 'content' }
  /** Empty the basket (OneBasket's "emptied"). */
  | { apply: true; action: 'empty' }
  /** Hold the basket for payment intent `paymentIntentId`, releasing any earlier intent's locks. */
  | { apply: true; action: 'open_intent'; paymentIntentId: string }
  | { apply: true; action: 'close_intent'; paymentIntentId: string }
  | { apply: true; action: 'complete' };

/**
 * The basket state machine. `mutable` until a payment intent exists; `immutable` while one does (its deletion
 * makes the basket mutable again); `completed` for ever once payment is confirmed. Events arrive late, twice
 * and out of order, so each is judged against what we hold, never applied blindly:
 * - nothing changes a completed basket;
 * - content (created, updated, emptied) never changes a basket held by a payment intent, and content older
 *   than what we hold is stale;
 * - a payment intent already deleted (its deletion arrived first, or content newer than it arrived) never
 *   holds the basket again, and a deletion older than the intent holding the basket does not release it.
 */
export function decideBasketEvent(
  basket: BasketView | undefined,
  event: { type: BasketEventType; occurredAt: Date; paymentIntentId: string | null },
  intentDeletedBefore: boolean,
): BasketDecision {
  const { type, occurredAt, paymentIntentId } = event;
  if (basket?.state === 'completed') {
    return {
      apply: false,
      note:
        type === 'BasketComplete'
          ? 'the basket is completed already'
          : 'the basket is completed: it never changes again',
    };
  }
  if (type === 'BasketComplete') return { apply: true, action: 'complete' };
  const stale = basket?.contentAt != null && occurredAt < basket.contentAt;
  switch (type) {
    case 'BasketCreated':
      if (basket) return { apply: false, note: 'the basket exists already' };
      return { apply: true, action: 'content' };
    case 'BasketUpdated':
    case 'BasketDeleted':
      if (basket?.state === 'immutable') {
        return {
          apply: false,
          note: `payment intent ${basket.paymentIntentId} holds the basket: it is immutable`,
        };
      }
      if (stale) return { apply: false, note: 'older than the basket content we hold' };
      return { apply: true, action: type === 'BasketDeleted' ? 'empty' : 'content' };
    case 'PaymentIntentCreated':
      if (!paymentIntentId) return { apply: false, note: 'the event names no payment intent' };
      if (intentDeletedBefore)
        return { apply: false, note: `payment intent ${paymentIntentId} was deleted already` };
      if (basket?.state === 'immutable' && basket.paymentIntentId === paymentIntentId) {
        return { apply: false, note: `payment intent ${paymentIntentId} holds the basket already` };
      }
      // Content only changes while no intent holds the basket: an intent older than the content we hold
      // was deleted before that content changed, even if its deletion has not reached us yet.
      if (stale) {
        return {
          apply: false,
          note:
            basket?.state === 'immutable'
              ? `older than payment intent ${basket.paymentIntentId}, which holds the basket`
              : 'older than the basket content we hold: it was deleted before that content changed',
        };
      }
      return { apply: true, action: 'open_intent', paymentIntentId };
    case 'PaymentIntentDeleted': {
      const target = paymentIntentId ?? basket?.paymentIntentId ?? null;
      if (basket?.state !== 'immutable' || target === null || basket.paymentIntentId !== target) {
        return { apply: false, note: `payment intent ${target ?? '(none)'} does not hold the basket` };
      }
      // A deletion that names no intent and is older than the one holding the basket was about an earlier one.
      if (paymentIntentId === null && stale) {
        return {
          apply: false,
          note: `older than payment intent ${target}, which holds the basket`,
        };
      }
      return { apply: true, action: 'close_intent', paymentIntentId: target };
    }
  }
}

/** The payment intent's state from its providers' lock answers: one refusal refuses it. */
export function intentStateFor(locks: readonly string[]): PaymentIntentState {
  if (locks.includes('refused')) return 'refused';
  return locks.every((lock) => lock === 'locked') ? 'locked' : 'locking';
}

// ---------------------------------------------------------------------------------------------------------
// Provider orders

export type ProviderOrderStep =
  | { kind: 'processing'; state: Exclude<ProcessingState, 'sent'> }
  | { kind: 'fulfilment'; state: FulfilmentState };

export const fulfilmentSteps: readonly FulfilmentState[] = ['received', 'in_progress', 'ready', 'fulfilled'];

export function stepFor(type: 'confirmed' | 'rejected' | FulfilmentState): ProviderOrderStep {
  return type === 'confirmed' || type === 'rejected'
    ? { kind: 'processing', state: type }
    : { kind: 'fulfilment', state: type };
}

export interface ProviderOrderView {
  processing: ProcessingState;
  fulfilment: FulfilmentState | null;
}

/**
 * Forward only. Processing goes Sent → Confirmed or Rejected, and an answer is final. Fulfilment goes
 * Received → In Progress → Ready → Fulfilled (steps may be skipped) and only for a provider order that is
 * not Rejected; a fulfilment event on a Sent one means the provider confirmed it, and confirms it.
 */
export function decideProviderStep(
  current: ProviderOrderView,
  step: ProviderOrderStep,
): { apply: true; next: ProviderOrderView } | { apply: false; note: string } {
  if (step.kind === 'processing') {
    if (current.processing === step.state) return { apply: false, note: `already ${step.state}` };
    if (current.processing !== 'sent') {
      return { apply: false, note: `already ${current.processing}: a processing answer is final` };
    }
    return { apply: true, next: { ...current, processing: step.state } };
  }
  if (current.processing === 'rejected') return { apply: false, note: 'the provider order was rejected' };
  const rank = (state: FulfilmentState | null) => (state === null ? -1 : fulfilmentSteps.indexOf(state));
  if (rank(step.state) <= rank(current.fulfilment)) {
    return {
      apply: false,
      note:
        current.fulfilment === step.state ? `already ${step.state}` : `late: already ${current.fulfilment}`,
    };
  }
  return { apply: true, next: { processing: 'confirmed', fulfilment: step.state } };
}

const statusForFulfilment: Record<FulfilmentState, OrderStatus> = {
  received: 'confirmed',
  in_progress: 'processing',
  ready: 'shipped',
  fulfilled: 'delivered',
};
const statusRank: readonly OrderStatus[] = ['pending', 'confirmed', 'processing', 'shipped', 'delivered'];

/**
 * The whole order's internal status from its provider orders:
 * - every provider order Rejected → `cancelled`;
 * - any still Sent → `pending` (processing is not complete);
 * - otherwise the least advanced fulfilment among the Confirmed provider orders whose provider reports
 *   fulfilment (Received → `confirmed`, In Progress → `processing`, Ready → `shipped`, Fulfilled →
 *   `delivered`); `confirmed` when none of them reports fulfilment.
 * The order only ever moves forward along it (through the transition table).
 */
export function orderStatusFor(
  providerOrders: readonly (ProviderOrderView & { tracksFulfilment: boolean })[],
): OrderStatus {
  const live = providerOrders.filter((po) => po.processing !== 'rejected');
  if (live.length === 0) return 'cancelled';
  if (live.some((po) => po.processing === 'sent')) return 'pending';
  const tracked = live.filter((po) => po.tracksFulfilment);
  if (tracked.length === 0) return 'confirmed';
  const ranks = tracked.map((po) =>
    statusRank.indexOf(po.fulfilment ? statusForFulfilment[po.fulfilment] : 'confirmed'),
  );
  return statusRank[Math.min(...ranks)] ?? 'confirmed';
}

export const RECEIVED_MESSAGE = 'Your order has been received and will be processed shortly.';

/** What OneBasket's front end tells its customer about one provider order. */
export function customerMessage(po: ProviderOrderView): string {
  if (po.processing === 'rejected')
    return 'This part of your order could not be accepted and has been refunded.';
  if (po.processing === 'sent') return 'Waiting for the provider to confirm.';
  switch (po.fulfilment) {
    case null:
      return 'Confirmed by the provider.';
    case 'received':
      return 'Received by the provider; preparation has not started yet.';
    case 'in_progress':
      return 'Being prepared.';
    case 'ready':
      return 'Ready to collect.';
    case 'fulfilled':
      return 'Collected.';
  }
}
