/**
 * The API every provider system implements (docs/onebasket.md), called through the shared outbound layer
 * (src/integrations/http.ts: timeouts, retry classification, Retry-After, call metrics). Nothing here
 * retries: the outbound queue does. A provider's refusal is an answer, not an error: it comes back as
 * `{ refused: reason }`.
 */
import { providerRequest } from '../http.js';
import { ProviderError } from '../provider-error.js';
import { providerOrderAnswer, refusalBody } from './schema.js';

export interface ProviderTarget {
  id: string;
  baseUrl: string;
  timeoutMs: number;
}

export interface ProviderOrderRequest {
  providerOrderId: string;
  orderNumber: string;
  items: unknown[];
  customer: { id: string | null; name: string | null; email: string | null; phone: string | null };
}

export type LockAnswer = { locked: true } | { locked: false; reason: string };
export type OrderAnswer =
  | { accepted: true; externalRef: string; status: 'confirmed' | 'pending' }
  | { accepted: false; reason: string };

/** The provider's stated reason, from the summarized error body the outbound layer keeps. */
function refusalReason(err: ProviderError): string {
  try {
    const parsed = refusalBody.safeParse(JSON.parse(err.responseBody ?? ''));
    if (parsed.success && parsed.data.reason.trim() !== '') return parsed.data.reason;
  } catch {
    // Not JSON: the provider refused without saying why.
  }
  return `refused with HTTP ${err.httpStatus}`;
}

function isRefusal(err: unknown, statuses: readonly number[]): err is ProviderError {
  return err instanceof ProviderError && err.httpStatus !== undefined && statuses.includes(err.httpStatus);
}

const base = (target: ProviderTarget) => ({
  provider: `onebasket:${target.id}`,
  timeoutMs: target.timeoutMs,
});

/** `POST {baseUrl}/basket-locks`: 2xx locked, 409 `{reason}` refused. */
export async function requestLock(
  target: ProviderTarget,
  body: { basketId: string; paymentIntentId: string; items: unknown[] },
  idempotencyKey: string,
): Promise<LockAnswer> {
  try {
    await providerRequest({
      ...base(target),
      method: 'POST',
      url: `${target.baseUrl}/basket-locks`,
      json: body,
      idempotencyKey,
      expectEmpty: true,
    });
    return { locked: true };
  } catch (err) {
    if (isRefusal(err, [409])) return { locked: false, reason: refusalReason(err) };
    throw err;
  }
}

/** `DELETE {baseUrl}/basket-locks/{basketId}`; a 404 means there is nothing left to release. */
export async function releaseLock(target: ProviderTarget, basketId: string): Promise<void> {
  try {
    await providerRequest({
      ...base(target),
      method: 'DELETE',
      url: `${target.baseUrl}/basket-locks/${encodeURIComponent(basketId)}`,
      expectEmpty: true,
    });
  } catch (err) {
    if (!isRefusal(err, [404])) throw err;
  }
}

/** `POST {baseUrl}/orders` with an Idempotency-Key: 2xx `{externalRef, status}`, 409/422 `{reason}` rejected. */
export async function sendOrder(
  target: ProviderTarget,
  body: ProviderOrderRequest,
  idempotencyKey: string,
): Promise<OrderAnswer> {
  try {
    const { data } = await providerRequest({
      ...base(target),
      method: 'POST',
      url: `${target.baseUrl}/orders`,
      json: body,
      idempotencyKey,
      schema: providerOrderAnswer,
    });
    return { accepted: true, externalRef: data.externalRef, status: data.status };
  } catch (err) {
    if (isRefusal(err, [409, 422])) return { accepted: false, reason: refusalReason(err) };
    throw err;
  }
}
