import type { HandlerResult } from '../types.js';

/** The event changed (or deliberately left) the order; `outcome` says what happened. */
export function processed(outcome: string, orderId?: string): HandlerResult {
  return orderId ? { status: 'processed', outcome, orderId } : { status: 'processed', outcome };
}

/** The event was stored and understood, but a person must look; it is not retried. */
export function attention(outcome: string, orderId?: string): HandlerResult {
  return orderId ? { status: 'attention', outcome, orderId } : { status: 'attention', outcome };
}

/** The answer to a second run of an event whose changes are on record already (`eventAlreadyRecorded`). */
export function alreadyRecorded(label: string, orderId: string): HandlerResult {
  return processed(`${label} already recorded for this event`, orderId);
}
