import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log line: credentials and personal data. Payloads are
 * never logged whole; these catch the fields that slip into error objects and request logs.
 */
export const redactPaths = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
  '*.headers["x-go-signature"]',
  '*.headers["x-razorpay-signature"]',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'name',
  '*.name',
  'first_name',
  '*.first_name',
  'last_name',
  '*.last_name',
  'firstName',
  '*.firstName',
  'lastName',
  '*.lastName',
  'phone',
  '*.phone',
  'phone_number',
  '*.phone_number',
  'email',
  '*.email',
  'address',
  '*.address',
  'delivery_address',
  '*.delivery_address',
  'customer',
  '*.customer',
];

const CENSOR = '[redacted]';
const MAX_DEPTH = 8;

/**
 * Key names (compared lower-case, without `-` and `_`) whose values are blanked at any depth. The redact
 * paths above only reach fixed depths; a provider payload or an error's request config can nest a customer
 * or a token deeper than that.
 */
const sensitiveKeys = new Set(
  [
    'authorization',
    'cookie',
    'set-cookie',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'client_secret',
    'password',
    'secret',
    'api_key',
    'x-go-signature',
    'x-razorpay-signature',
    'name',
    'first_name',
    'last_name',
    'full_name',
    'phone',
    'phone_number',
    'mobile',
    'email',
    'address',
    'delivery_address',
    'street',
    'customer',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** Plain data (including pino's serialized errors), not Dates, Buffers or class instances. */
function isPlainObject(value: object): boolean {
  return Object.getPrototypeOf(value) === null || value.constructor === Object;
}

/** A copy of `value` with every sensitive key blanked, however deep. Errors are serialized first. */
export function scrub(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) return scrub(pino.stdSerializers.err(value), depth, seen);
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  seen.add(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((item) => scrub(item, depth + 1, seen));
  } else {
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      copy[key] = sensitiveKeys.has(normalizeKey(key)) ? CENSOR : scrub(child, depth + 1, seen);
    }
    result = copy;
  }
  seen.delete(value);
  return result;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ordergate' },
      redact: { paths: redactPaths, censor: CENSOR },
      formatters: {
        log: (object) => {
          const scrubbed: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object)) {
            // `err` stays an Error here so pino's serializer (wrapped below) keeps its type and stack.
            scrubbed[key] = sensitiveKeys.has(normalizeKey(key))
              ? CENSOR
              : value instanceof Error
                ? value
                : scrub(value, 1);
          }
          return scrubbed;
        },
      },
      serializers: { err: (err: unknown) => scrub(pino.stdSerializers.err(err as Error)) },
    },
    destination,
  );
}

/**
 * Human-readable logs (pino-pretty) are for a person watching a terminal in development; anything else (a
 * file, a pipe, a log collector, production) gets one JSON object per line.
 */
export function wantsPrettyLogs(nodeEnv: string, stdoutIsTTY: boolean | undefined): boolean {
  return nodeEnv === 'development' && stdoutIsTTY === true;
}

/**
 * pino-pretty as a synchronous stream in this process (no transport thread), writing to `destination`
 * (stdout by default). It formats lines pino has already redacted, so it shows nothing JSON would hide.
 */
export async function prettyDestination(
  options: { destination?: NodeJS.WritableStream; colorize?: boolean } = {},
): Promise<pino.DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    sync: true,
    colorize: options.colorize ?? true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    ...(options.destination ? { destination: options.destination } : {}),
  });
}

/**
 * `logger.child(bindings)`, made on first use. A pino child serialises and redacts its bindings when it is
 * made, and most requests and events log nothing: the gateway gives every request one of these.
 */
export function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const made = () => {
    child ??= logger.child(bindings);
    return child;
  };
  return new Proxy(logger, {
    get(_target, property) {
      const target = made();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    // A write (say `level`) goes to the child, as it would without the proxy, never to the shared parent.
    set(_target, property, value: unknown) {
      return Reflect.set(made(), property, value);
    },
  });
}

export type { Logger };
