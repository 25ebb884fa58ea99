import type { Context } from 'hono';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import type { IngestInput, IngestResult } from '../../inbox/ingest.js';

/**
 * The answer to an accepted push: 202 for a new event, 200 with `duplicate: true` for one already held (the
 * sender must not retry either).
 */
export function answerPush(c: Context<AppEnv>, result: IngestResult): Response {
  if (result.duplicate) return c.json({ eventId: result.eventId, duplicate: true }, 200);
  return c.json({ eventId: result.eventId }, 202);
}

/** Stores an authenticated, validated push in the inbox and answers it. */
export async function ingestPush(c: Context<AppEnv>, deps: RouteDeps, input: IngestInput): Promise<Response> {
  return answerPush(c, await deps.ingest(input));
}
