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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ordergate' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

export type { Logger };
