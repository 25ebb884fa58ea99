/**
 * The one outbound HTTP layer every provider client uses. It owns what must be identical everywhere:
 * timeouts, the retryable / not-retryable verdict, Retry-After, idempotency keys,
 * response validation and a call hook for metrics and timelines.
 *
 * Errors never carry credentials or personal data: messages name the provider, method and path (never the
 * query string or headers), and of a response body only known error fields are kept (summarizeErrorBody).
 */
import type { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { summarizeErrorBody } from './error-body.js';
import { emitCall } from './provider-calls.js';
import { isRetryableStatus, ProviderError, parseRetryAfter } from './provider-error.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * One path segment of a provider URL built from an id we were given (an outlet, chain, vendor or order id):
 * percent-encoded, and never `.` or `..` (or their encodings), which URL parsing resolves as steps up the path,
 * so an outlet id of `..` would rewrite which endpoint we call. An empty id is refused the same way.
 */
export function pathSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  if (encoded === '' || /^(\.|%2e){1,2}$/i.test(encoded)) {
    throw new AppError(
      'validation_failed',
      `refusing to build a provider URL with the path segment ${JSON.stringify(value)}`,
      { retryable: false },
    );
  }
  return encoded;
}

/**
 * Most bytes of a provider's answer we read. Our providers answer with one order or a page of them; a
 * larger body (a misbehaving or hostile endpoint) is abandoned at this size, not buffered whole.
 */
export const PROVIDER_RESPONSE_LIMIT = 4 * 1024 * 1024;

/**
 * The response body as text, reading at most `maxBytes` (0: discard it). Past the limit the stream is
 * cancelled and `oversized` is set; the text then holds the first `maxBytes` (enough for an error message).
 */
export async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; oversized: boolean }> {
  const stream = response.body;
  if (!stream) return { text: '', oversized: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      if (maxBytes > total) chunks.push(value.subarray(0, maxBytes - total));
      await reader.cancel().catch(() => {});
      const text = Buffer.concat(chunks).toString('utf8');
      return { text, oversized: maxBytes > 0 };
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return { text: Buffer.concat(chunks, total).toString('utf8'), oversized: false };
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `Authorization` value for HTTP basic auth (e.g. Razorpay key id : key secret). */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export interface ProviderRequestBase {
  /** Provider name used in errors and call events, e.g. 'yemeksepeti'. */
  provider: string;
  /** Defaults to GET. */
  method?: HttpMethod;
  url: string | URL;
  headers?: Record<string, string>;
  /** JSON request body (sets Content-Type: application/json). */
  json?: unknown;
  /** Form-encoded request body (sets Content-Type: application/x-www-form-urlencoded). */
  form?: URLSearchParams | Record<string, string | number | boolean | undefined>;
  /**
   * A body already serialised, sent as these exact bytes (what a signature over the body covers); its
   * Content-Type goes in `headers`.
   */
  body?: string;
  /** Whole-call budget including reading the body. Defaults to DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Sent as `Idempotency-Key` (or `idempotencyHeader`); keep it stable across retries of one job. */
  idempotencyKey?: string;
  idempotencyHeader?: string;
  /** Extra secret strings to scrub from error bodies (the Authorization value is always scrubbed). */
  redact?: readonly string[];
}

export interface ProviderRequestOptions<T = unknown> extends ProviderRequestBase {
  /** The 2xx JSON body must match it; otherwise a non-retryable ProviderError ('invalid_response'). */
  schema?: z.ZodType<T>;
  /** Ignore the 2xx body entirely; `data` is undefined. */
  expectEmpty?: boolean;
}

export interface ProviderResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

export function providerRequest<T>(
  opts: ProviderRequestBase & { schema: z.ZodType<T>; expectEmpty?: false },
): Promise<ProviderResponse<T>>;
export function providerRequest(
  opts: ProviderRequestBase & { expectEmpty: true; schema?: undefined },
): Promise<ProviderResponse<undefined>>;
export function providerRequest(opts: ProviderRequestOptions<unknown>): Promise<ProviderResponse<unknown>>;
export function providerRequest(opts: ProviderRequestOptions<unknown>): Promise<ProviderResponse<unknown>> {
  return send(opts);
}

function secretsOf(headers: Headers, extra: readonly string[] | undefined): string[] {
  const secrets = [...(extra ?? [])];
  const authorization = headers.get('authorization');
  if (authorization) {
    secrets.push(authorization);
    const credential = /^\S+\s+(.+)$/.exec(authorization)?.[1];
    if (credential) secrets.push(credential);
  }
  // Longest first so a secret containing another is replaced whole.
  return secrets.sort((a, b) => b.length - a.length);
}

function optionalBody(text: string, secrets: readonly string[]): { responseBody?: string } {
  const responseBody = summarizeErrorBody(text, secrets);
  return responseBody === undefined ? {} : { responseBody };
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** A short, secret-free description of why the connection failed (e.g. 'ECONNREFUSED'). */
function networkCause(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return err instanceof Error ? err.message : 'unknown error';
}

function formBody(form: NonNullable<ProviderRequestBase['form']>): string {
  if (form instanceof URLSearchParams) return form.toString();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value !== undefined) params.append(key, String(value));
  }
  return params.toString();
}

async function send(opts: ProviderRequestOptions<unknown>): Promise<ProviderResponse<unknown>> {
  const method = opts.method ?? 'GET';
  const url = new URL(opts.url);
  const path = url.pathname;
  const where = { provider: opts.provider, method, path };
  const label = `${opts.provider} ${method} ${path}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const headers = new Headers(opts.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  let body: string | undefined;
  if ([opts.json, opts.form, opts.body].filter((b) => b !== undefined).length > 1) {
    throw new TypeError(`${label}: pass one of json, form or body`);
  }
  if (opts.body !== undefined) {
    body = opts.body;
  } else if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (opts.form !== undefined) {
    body = formBody(opts.form);
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
  }
  if (opts.idempotencyKey !== undefined) {
    headers.set(opts.idempotencyHeader ?? 'Idempotency-Key', opts.idempotencyKey);
  }
  const secrets = secretsOf(headers, opts.redact);

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let response: Response;
  let text: string;
  let oversized = false;
  try {
    // redirect 'manual'': a provider API has no business redirecting us, and following one could carry the
    // Authorization header somewhere else.
    response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const read = await readCapped(response, opts.expectEmpty && response.ok ? 0 : PROVIDER_RESPONSE_LIMIT);
    text = read.text;
    oversized = read.oversized;
  } catch (err) {
    const timedOut = isTimeout(err);
    emitCall({ ...where, status: timedOut ? 'timeout' : 'network', durationMs: elapsed() });
    throw new ProviderError({
      ...where,
      reason: timedOut ? 'timeout' : 'network',
      retryable: true,
      message: timedOut
        ? `${label} did not answer within ${timeoutMs} ms`
        : `${label} failed: ${networkCause(err)}`,
      cause: err,
    });
  }
  const status = response.status;
  emitCall({ ...where, status, durationMs: elapsed() });

  if (status < 200 || status >= 300) {
    const retryable = isRetryableStatus(status);
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
    throw new ProviderError({
      ...where,
      reason: 'http',
      httpStatus: status,
      retryable,
      ...optionalBody(text, secrets),
      message:
        status >= 300 && status < 400
          ? `${label} answered with an unexpected redirect (${status})`
          : `${label} answered ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  if (oversized && !opts.expectEmpty) {
    throw new ProviderError({
      ...where,
      reason: 'invalid_response',
      httpStatus: status,
      retryable: false,
      message: `${label} answered ${status} with a body over ${PROVIDER_RESPONSE_LIMIT} bytes`,
    });
  }

  const invalid = (problem: string) =>
    new ProviderError({
      ...where,
      reason: 'invalid_response',
      httpStatus: status,
      retryable: false,
      ...optionalBody(text, secrets),
      message: `${label} answered ${status} ${problem}`,
    });

  if (opts.expectEmpty) return { status, data: undefined, headers: response.headers };

  let data: unknown;
  if (text.trim() !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      if (opts.schema) throw invalid('with a body that is not JSON');
      data = text;
    }
  }
  if (opts.schema) {
    const parsed = opts.schema.safeParse(data);
    if (!parsed.success) {
      // Zod issue messages name paths and expected types, never the received values.
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw invalid(`with a body that does not match the expected schema (${issues})`);
    }
    data = parsed.data;
  }
  return { status, data, headers: response.headers };
}
