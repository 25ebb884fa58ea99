/**
 * One error vocabulary for the whole product. Every code maps to exactly one HTTP status; the gateway
 * renders them in the single error envelope, the workers use `retryable` to decide whether BullMQ should
 * try again.
 */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  illegal_transition: 409,
  /** The client did not send the whole request in time (Node's request/headers timeout). */
  request_timeout: 408,
  payload_too_large: 413,
  /** An Idempotency-Key reused with a different body (IETF draft-ietf-httpapi-idempotency-key-header: 422). */
  idempotency_conflict: 422,
  rate_limited: 429,
  unavailable: 503,
  /** A provider refused our call (a 4xx other than 408/429, or an answer we cannot use): retrying won't help. */
  provider_rejected: 502,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus | `rule_${string}`;

/**
 * When each code is answered, for the documentation (the README's error table and the OpenAPI document are
 * generated from it, so a new code cannot go undocumented: the type demands its sentence).
 */
export const errorDescriptions: Readonly<Record<keyof typeof errorStatus, string>> = {
  bad_request: 'the request cannot be understood (a malformed header or an unusable query)',
  validation_failed:
    'the body, query, path or a required header fails its schema; `details` lists `{path, message}` per problem',
  malformed_json: 'the body is not valid UTF-8 JSON, or nests deeper than the store accepts',
  unsupported_media_type: 'a JSON endpoint got a body whose Content-Type is not application/json',
  unauthorized:
    'the admin token, a provider token or a webhook signature is missing or wrong; nothing is stored',
  forbidden: 'authenticated, but not allowed to do this',
  not_found: 'no such route, or the order, event, message, warehouse or outlet does not exist',
  conflict: 'the change contradicts stored state (e.g. a store id already mapped to another warehouse)',
  illegal_transition: "the order's status machine does not allow this change from its current status",
  request_timeout:
    'the client did not send the whole request within REQUEST_TIMEOUT_MS / HEADERS_TIMEOUT_MS; the connection is closed',
  payload_too_large: 'the body is larger than BODY_LIMIT_BYTES; answered with `Connection: close`',
  idempotency_conflict:
    'an Idempotency-Key reused with a different body; `details.eventId` is the event the key first stored',
  rate_limited: 'too many requests; retry after the `Retry-After` seconds',
  unavailable:
    'Postgres, or a provider the request waits on, cannot be reached; retry after the `Retry-After` seconds',
  provider_rejected:
    "a provider refused our call (a 4xx other than 408/429, or an answer we cannot use); the provider's error is in `details`",
  internal: 'an unexpected error; logged with its cause under the requestId, answered without internals',
};

export function statusForCode(code: ErrorCode): number {
  if (code.startsWith('rule_')) return 409;
  return errorStatus[code as keyof typeof errorStatus];
}

export interface AppErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Whether repeating the same operation later can succeed. */
  retryable?: boolean;
  /** Delay hint for retryable errors (e.g. a provider's Retry-After). */
  retryAfterMs?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = statusForCode(code);
    this.details = options.details;
    this.retryable = options.retryable ?? this.status >= 500;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** A business rule refused the action: 409 with a code naming the rule. */
export class RuleViolation extends AppError {
  constructor(rule: string, message: string, details?: unknown) {
    super(`rule_${rule}`, message, { details, retryable: false });
    this.name = 'RuleViolation';
  }
}

const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/**
 * SQLSTATE classes meaning the server would not serve us at all, whatever the statement: connection
 * exceptions (08), insufficient resources (53: too many connections, disk full), operator intervention (57:
 * shutdown, terminated backend, crash recovery) and a login the server refuses (28).
 */
const unavailableSqlStateClasses = ['08', '28', '53', '57'];

function isUnavailableSqlState(code: string, message: string): boolean {
  if (!/^[0-9A-Z]{5}$/.test(code)) return false;
  if (unavailableSqlStateClasses.some((c) => code.startsWith(c))) return true;
  // The database was dropped or renamed, or is closed to connections (ALLOW_CONNECTIONS false).
  if (code === '3D000') return true;
  return code === '55000' && /not currently accepting connections/i.test(message);
}

/** True when the error means the database (or another dependency) could not be reached at all. */
export function isConnectionError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && connectionErrorCodes.has(code)) return true;
    if (typeof code === 'string' && isUnavailableSqlState(code, current.message)) return true;
    if (
      /connection terminated|timeout exceeded when trying to connect|Connection terminated/i.test(
        current.message,
      )
    )
      return true;
    if (current instanceof AggregateError && current.errors.some(isConnectionError)) return true;
    current = current.cause;
  }
  return false;
}

/** The SQLSTATE of a database error (pg and PGlite both set `code`), else undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
