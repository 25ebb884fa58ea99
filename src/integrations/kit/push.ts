import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import type { ResponseDoc } from '../../http/openapi.js';
import type { IngestInput, IngestResult } from '../../inbox/ingest.js';

/** What every push answers: the inbox event, new (202) or already held (200 with `duplicate: true`). */
export const pushAnswerSchema = z.object({
  eventId: z.uuid().describe('The inbox event (GET /admin/events/{id})'),
  duplicate: z.literal(true).optional().describe('Present on 200: the same event was already stored'),
});

/** A push endpoint's documented answers (`documentRoute`'s `responses`). */
export const pushAnswers: Record<200 | 202, ResponseDoc> = {
  202: { description: 'Stored in the inbox and queued: a worker processes it', body: pushAnswerSchema },
  200: { description: 'Already stored (same dedup key): nothing new', body: pushAnswerSchema },
};

/**
 * The answer to an accepted push: 202 for a new event, 200 with `duplicate: true` for one already held (the
 * sender must not retry either).
 */
export function answerPush(c: Context<AppEnv>, result: IngestResult): Response {
  if (result.duplicate) {
    return c.json(
      { eventId: result.eventId, duplicate: true } satisfies z.output<typeof pushAnswerSchema>,
      200,
    );
  }
  return c.json({ eventId: result.eventId } satisfies z.output<typeof pushAnswerSchema>, 202);
}

/** Stores an authenticated, validated push in the inbox and answers it. */
export async function ingestPush(c: Context<AppEnv>, deps: RouteDeps, input: IngestInput): Promise<Response> {
  return answerPush(c, await deps.ingest(input));
}
