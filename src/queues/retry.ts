import { UnrecoverableError } from 'bullmq';
import { ZodError } from 'zod';
import { AppError, sqlState } from '../lib/errors.js';

export const BACKOFF_TYPE = 'jittered-exponential';
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Delay before retry `attemptsMade` (1-based): exponential from `baseMs` with jitter in [50%, 100%] so a
 * burst of failures does not retry in lockstep. A provider's Retry-After wins when it asks for longer.
 */
export function computeBackoff(
  attemptsMade: number,
  baseMs: number,
  err?: Error,
  random = Math.random,
): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** exponent);
  const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const retryAfter = err instanceof AppError ? err.retryAfterMs : undefined;
  if (retryAfter !== undefined) return Math.min(Math.max(delay, retryAfter), 10 * 60_000);
  return delay;
}

export function backoffStrategy(baseMs: number) {
  return (attemptsMade: number, _type?: string, err?: Error): number =>
    computeBackoff(attemptsMade, baseMs, err);
}

/**
 * Whether running the job again can help: invalid payloads, refused business rules and statements the
 * database rejects for their data cannot. Anything unknown (connection loss, timeouts, bugs) is retried.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof UnrecoverableError) return false;
  if (err instanceof ZodError) return false;
  // An amount or date out of range (toMinorUnits, Date) is in the payload: the same on every attempt.
  if (err instanceof RangeError) return false;
  if (err instanceof AppError) return err.retryable;
  if (isPermanentDatabaseError(err)) return false;
  return true;
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation: a foreign key to a warehouse
 * that does not exist, a check constraint) fail the same way on every retry until someone changes the data;
 * the event goes dead at once and is replayed after the fix. A unique violation (23505) is the exception: a
 * concurrent insert of the same row causes it, and the retry finds that row.
 */
export function isPermanentDatabaseError(err: unknown): boolean {
  const code = sqlState(err);
  if (code === undefined || code === '23505') return false;
  return code.startsWith('22') || code.startsWith('23');
}

/** Converts a non-retryable error to BullMQ's UnrecoverableError so it fails at once, keeping the message. */
export function toJobError(err: unknown): Error {
  if (!isRetryable(err) && !(err instanceof UnrecoverableError)) {
    const message = err instanceof Error ? err.message : String(err);
    const wrapped = new UnrecoverableError(message);
    wrapped.cause = err;
    return wrapped;
  }
  return err instanceof Error ? err : new Error(String(err));
}
