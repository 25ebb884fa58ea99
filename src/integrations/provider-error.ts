/**
 * How a provider call failed, and whether it is worth trying again: the verdict every outbound worker acts
 * on. Messages name the provider, method and path, never the query string, headers or personal data.
 */
import { AppError } from '../lib/errors.js';

/** Longest Retry-After we honour; a provider asking for more gets re-asked after this. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** What went wrong: an HTTP answer we refuse, no answer in time, no connection, or an unusable 2xx. */
export type ProviderFailure = 'http' | 'timeout' | 'network' | 'invalid_response';

export interface ProviderErrorInit {
  provider: string;
  method: string;
  path: string;
  reason: ProviderFailure;
  message: string;
  retryable: boolean;
  httpStatus?: number;
  responseBody?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A call to a provider failed. `retryable` is the verdict the workers act on; `retryAfterMs` is the
 * provider's own Retry-After, when it sent one.
 */
export class ProviderError extends AppError {
  readonly provider: string;
  readonly method: string;
  readonly path: string;
  readonly reason: ProviderFailure;
  /** Undefined when no HTTP answer arrived (timeout, connection error). */
  readonly httpStatus?: number;
  /**
   * What the provider said, reduced to its known error fields (summarizeErrorBody): safe to put on the
   * timeline and in logs. Undefined when the body was empty.
   */
  readonly responseBody?: string;

  constructor(init: ProviderErrorInit) {
    super(init.retryable ? 'unavailable' : 'provider_rejected', init.message, {
      retryable: init.retryable,
      cause: init.cause,
      details: { provider: init.provider, method: init.method, path: init.path, httpStatus: init.httpStatus },
      ...(init.retryAfterMs === undefined ? {} : { retryAfterMs: init.retryAfterMs }),
    });
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.method = init.method;
    this.path = init.path;
    this.reason = init.reason;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.responseBody !== undefined) this.responseBody = init.responseBody;
  }
}

/** 5xx, 408 and 429 can succeed later; any other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Parses a Retry-After header (delay-seconds or HTTP-date) into milliseconds from `now`, capped at
 * MAX_RETRY_AFTER_MS. A date in the past gives 0; anything unparseable gives undefined.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Math.round(Number(value) * 1000), MAX_RETRY_AFTER_MS);
  // Only a date may follow: bare or signed numbers that failed the check above are garbage, not years.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * For outbound processors: a provider's final refusal (not retryable) with its summarized answer in the
 * message, so the timeline entry and the attention reason show the provider's error code. Anything else is
 * returned unchanged.
 */
export function withProviderAnswer(err: unknown): unknown {
  if (err instanceof ProviderError && !err.retryable && err.responseBody) {
    return new AppError('provider_rejected', `${err.message}: ${err.responseBody}`, {
      retryable: false,
      cause: err,
      details: err.details,
    });
  }
  return err;
}
