import type { Executor } from '../db/index.js';
import type { InboundEvent } from '../db/schema.js';
import { causeKeys, type OpenInterventionInput, openIntervention } from '../orders/interventions.js';

/**
 * The intervention of an inbox event that a person must look at: dead (its handler failed for good or ran out
 * of attempts) or `attention` (stored and understood, but unusable as it is). Replaying it is the way out.
 */
export function deadEventIntervention(
  event: Pick<InboundEvent, 'id' | 'source' | 'event_type' | 'external_order_id'>,
  status: 'dead' | 'attention',
  reason: string | null | undefined,
): OpenInterventionInput {
  const what = status === 'dead' ? 'is dead' : 'needs attention';
  return {
    source: 'dead_event',
    causeKey: causeKeys.event(event.id),
    summary: `${event.source} ${event.event_type} event ${what}${reason ? `: ${reason}` : ''}`,
    eventId: event.id,
    details: {
      status,
      source: event.source,
      eventType: event.event_type,
      externalOrderId: event.external_order_id,
      reason: reason ?? null,
    },
    actions: ['replay', 'resolve'],
  };
}

/**
 * Opens the entry of an event that is dead or needs attention, unless an open entry names the event already:
 * its handler opened one for the cause it found (a payment that does not match its order), and one problem
 * has one entry. `refresh: false` leaves an open entry of the event as it is. Returns whether it opened or
 * refreshed one.
 */
export async function openEventIntervention(
  db: Executor,
  event: Pick<InboundEvent, 'id' | 'source' | 'event_type' | 'external_order_id'>,
  status: 'dead' | 'attention',
  reason: string | null | undefined,
  options: { refresh?: false } = {},
): Promise<boolean> {
  const entry = deadEventIntervention(event, status, reason);
  const named = await db
    .selectFrom('interventions')
    .select('id')
    .where('event_id', '=', event.id)
    .where('state', '=', 'open')
    .where('cause_key', '<>', entry.causeKey)
    .executeTakeFirst();
  if (named) return false;
  if (options.refresh === false) {
    return (await openIntervention(db, { ...entry, refresh: false })) !== undefined;
  }
  await openIntervention(db, entry);
  return true;
}
