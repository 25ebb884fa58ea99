import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../lib/errors.js';

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

export function zodDetails(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Validates a value with a zod schema, or throws a 400 `validation_failed` listing every problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('validation_failed', `invalid ${what}`, { details: zodDetails(parsed.error) });
  }
  return parsed.data;
}

export interface RawJson {
  /** The exact text received (for signatures and dedup hashes). */
  raw: string;
  json: unknown;
}

/**
 * Reads the body as text once, then parses it: signatures are computed over the raw bytes and the same
 * bytes feed the dedup hash. Non-JSON content types and malformed JSON are a 4xx, never a 500.
 */
export async function readJsonBody(c: Context): Promise<RawJson> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new AppError('unsupported_media_type', 'expected Content-Type: application/json');
  }
  let raw: string;
  try {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('malformed_json', 'request body is not valid UTF-8', { cause: err });
  }
  try {
    return { raw, json: JSON.parse(raw) as unknown };
  } catch {
    throw new AppError('malformed_json', 'request body is not valid JSON');
  }
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return validate(schema, c.req.query(), 'query');
}
