import type { InboundEvent } from '../db/schema.js';
import { causeKeys, type OpenInterventionInput } from '../orders/interventions.js';

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
