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

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Longest Retry-After we honour; a provider asking for more gets re-asked after this. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;
/** Characters of the summary of a provider's response body kept on a ProviderError. */
export const RESPONSE_BODY_LIMIT = 1024;

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
/** Characters kept of one error field. */
export const ERROR_FIELD_LIMIT = 200;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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

/** `Authorization` value for HTTP basic auth (e.g. Razorpay key id : key secret). */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Call hook

export interface ProviderCallEvent {
  provider: string;
  method: string;
  /** URL path without the query string (queries can carry ids and tokens). */
  path: string;
  status: number | 'timeout' | 'network';
  durationMs: number;
}

export type ProviderCallListener = (event: ProviderCallEvent) => void;

const listeners = new Set<ProviderCallListener>();

/** Subscribes to every provider call (one event per HTTP attempt). Returns the unsubscribe function. */
export function onProviderCall(listener: ProviderCallListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function emitCall(event: ProviderCallEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // Metrics must never turn a successful provider call into a failed one.
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Requests

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

/**
 * The fields of a provider's error body worth keeping: codes and messages, also inside `error` / `errors`.
 * Everything else is dropped, since providers echo the request back (customer names, phones, addresses).
 */
const errorFields = new Set([
  'code',
  'errorCode',
  'error_code',
  'error',
  'errors',
  'error_description',
  'message',
  'status',
  'title',
  'detail',
  'reason',
]);

const emailPattern = /[^\s@"'<>()]+@[^\s@"'<>()]+\.[^\s@"'<>()]+/g;
/** A run of 7 or more digits, possibly split by spaces, dots, dashes or brackets: a phone or card number. */
const longNumberPattern = /\+?\d[\d\s().-]*\d/g;

/** One kept string: known secrets, e-mail addresses and phone-like numbers removed, then truncated. */
function cleanErrorText(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  // Cut before the patterns run, so a huge field cannot make them slow.
  out = out
    .slice(0, ERROR_FIELD_LIMIT * 2)
    .replace(emailPattern, '[email]')
    .replace(longNumberPattern, (run) => (run.replace(/\D/g, '').length >= 7 ? '[number]' : run));
  return out.length > ERROR_FIELD_LIMIT ? `${out.slice(0, ERROR_FIELD_LIMIT)}…` : out;
}

/** The allow-listed part of a parsed error body, or undefined when nothing in it is kept. */
function pickErrorFields(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return cleanErrorText(value, secrets);
  // Small integers are status and error codes; longer ones could be phone numbers or ids.
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < 1_000_000 ? value : undefined;
  if (depth >= 3 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    const items = value
      .slice(0, 5)
      .map((item) => pickErrorFields(item, secrets, depth + 1))
      .filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!errorFields.has(key)) continue;
    const kept = pickErrorFields(item, secrets, depth + 1);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * What a ProviderError keeps of a response body: the known error fields of a JSON body (strings cleaned and
 * truncated, small integers), as JSON; of anything else only its size. Undefined for an empty body.
 */
export function summarizeErrorBody(text: string, secrets: readonly string[] = []): string | undefined {
  if (text.trim() === '') return undefined;
  const bytes = Buffer.byteLength(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `non-JSON body (${bytes} bytes)`;
  }
  const kept = typeof parsed === 'object' ? pickErrorFields(parsed, secrets) : undefined;
  if (kept === undefined) return `JSON body without known error fields (${bytes} bytes)`;
  const out = JSON.stringify(kept);
  return out.length > RESPONSE_BODY_LIMIT ? `${out.slice(0, RESPONSE_BODY_LIMIT)}…[truncated]` : out;
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
