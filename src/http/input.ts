import type { Context } from 'hono';
import { type Expression, type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { AppError, errorStatus } from '../lib/errors.js';
import { assertStorableJson, MAX_JSON_DEPTH } from '../lib/json.js';

/** Every error answer, whatever the route (rendered as the OpenAPI document's `ErrorEnvelope`). */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z
        .union([z.literal(Object.keys(errorStatus)), z.string().regex(/^rule_[a-z0-9_]+$/)])
        .describe('Machine-readable; `rule_<name>` (409) names a business rule that refused the action.'),
      message: z.string(),
      requestId: z.string().describe('Also in the X-Request-Id header; quote it to an operator.'),
      details: z
        .unknown()
        .optional()
        .describe('Per code: `[{path, message}]` for validation_failed, an object otherwise.'),
    }),
  })
  .describe('Every error answer, whatever the route.');
export type ErrorEnvelope = z.output<typeof errorEnvelopeSchema>;

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
  /** The exact text received (for signatures and dedup hashes, and stored as the inbox payload). */
  raw: string;
  json: unknown;
}

/** 415 unless the request says its body is JSON (`application/json` or `application/*+json`). */
export function requireJsonContentType(c: Context): void {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new AppError('unsupported_media_type', 'expected Content-Type: application/json');
  }
}

/**
 * Reads the body as text once, then parses it: signatures are computed over the raw bytes and the same
 * bytes feed the dedup hash. Non-JSON content types and malformed JSON are a 4xx, never a 500.
 */
export async function readJsonBody(c: Context): Promise<RawJson> {
  requireJsonContentType(c);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('malformed_json', 'request body could not be read', { cause: err });
  }
  return parseJsonText(bytes);
}

/** UTF-8 text → JSON with the storable-JSON rules; a 400 `malformed_json` for anything else. */
export function parseJsonText(bytes: Uint8Array): RawJson {
  let raw: string;
  try {
    raw = utf8.decode(bytes);
  } catch (err) {
    throw new AppError('malformed_json', 'request body is not valid UTF-8', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw) as unknown;
  } catch {
    throw new AppError('malformed_json', 'request body is not valid JSON');
  }
  if (!surelyStorable(raw)) assertStorableJson(json);
  return { raw, json };
}

/** Not streaming, so one decoder serves every request. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A cheap look at the raw text that spares the walk over the parsed value for nearly every body: NUL and
 * surrogates can only reach a parsed string through a `\u` escape (valid UTF-8 cannot encode surrogates,
 * and JSON forbids raw control characters in strings), and a body with at most MAX_JSON_DEPTH brackets
 * cannot nest deeper than that.
 */
function surelyStorable(raw: string): boolean {
  if (raw.includes('\\u')) return false;
  let brackets = 0;
  for (const bracket of ['{', '[']) {
    for (let at = raw.indexOf(bracket); at !== -1; at = raw.indexOf(bracket, at + 1)) {
      if (++brackets > MAX_JSON_DEPTH) return false;
    }
  }
  return true;
}

/**
 * For endpoints whose body is optional: `{}` when the request carries none (no Content-Length, or 0, and not
 * chunked), else `readJsonBody(c).json` with its 415/400 answers.
 */
export async function readOptionalJsonBody(c: Context): Promise<unknown> {
  const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding');
  return hasBody ? (await readJsonBody(c)).json : {};
}

/**
 * Deepest row a list may page to, and the most rows a list's `total` counts: past these the database would
 * walk (or count) millions of rows for one request. Narrow the filter to see further.
 */
export const MAX_LIST_OFFSET = 10_000;
export const MAX_LIST_COUNT = 10_000;

/** `page` (1-based) and `limit` of a list endpoint's query; spread into its query schema. */
export function pageQuery({ defaultLimit, maxLimit }: { defaultLimit: number; maxLimit: number }) {
  return {
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
  };
}

/** Rows to skip for a `pageQuery` page. */
export function pageOffset(q: { page: number; limit: number }): number {
  return (q.page - 1) * q.limit;
}

/** The answer of a paged list around its rows' schema: `{ data, page, limit, total }`. */
export function pageAnswerSchema<Row extends z.ZodType>(row: Row) {
  return z.object({
    data: z.array(row),
    page: z.int().min(1),
    limit: z.int().min(1),
    total: z.int().min(0),
  });
}

/** `listPage`'s answer around its rows' schema. */
export function listPageAnswerSchema<Row extends z.ZodType>(row: Row) {
  return pageAnswerSchema(row).extend({
    totalIsCapped: z
      .boolean()
      .describe(`The filter matches more than ${MAX_LIST_COUNT}: total says ${MAX_LIST_COUNT}`),
  });
}

/**
 * The answer of a paged admin list, `{ data, page, limit, total, totalIsCapped }`: the page's rows (`rows`
 * gets the limit and offset) and the filter's total, read side by side. A page past MAX_LIST_OFFSET is a
 * 400; `countUpTo(n)` counts at most n matches (a `limit(n)` subquery), and a filter with more says
 * `total: MAX_LIST_COUNT, totalIsCapped: true`.
 */
export async function listPage<Row, Dto>(
  q: { page: number; limit: number },
  rows: (limit: number, offset: number) => Promise<Row[]>,
  countUpTo: (cap: number) => Promise<{ total: number | string | bigint }>,
  toDto: (row: Row) => Dto,
) {
  const offset = pageOffset(q);
  if (offset > MAX_LIST_OFFSET) {
    throw new AppError(
      'validation_failed',
      `lists page at most ${MAX_LIST_OFFSET} rows deep; narrow the filter`,
      {
        details: [{ path: 'page', message: `page × limit must stay within ${MAX_LIST_OFFSET + q.limit}` }],
      },
    );
  }
  const [page, count] = await Promise.all([rows(q.limit, offset), countUpTo(MAX_LIST_COUNT + 1)]);
  const counted = Number(count.total);
  const totalIsCapped = counted > MAX_LIST_COUNT;
  return {
    data: page.map(toDto),
    page: q.page,
    limit: q.limit,
    total: totalIsCapped ? MAX_LIST_COUNT : counted,
    totalIsCapped,
  };
}

/**
 * `listPage`'s `countUpTo` for a Kysely list: counts at most `cap` of the rows that `matches(cap)` selects
 * (the list's filtered query with `limit(cap)`), so a broad filter never counts a whole table.
 */
export function countMatches<DB>(db: Kysely<DB>, matches: (cap: number) => Expression<unknown>) {
  return async (cap: number) => {
    const { rows } = await sql<{
      total: number;
    }>`select count(*)::int as total from (${matches(cap)}) as matches`.execute(db);
    return rows[0] ?? { total: 0 };
  };
}

// JavaScript dates reach ±275,760 years; Postgres timestamps only 4713 BC to 294276 AD. A date outside the
// range it can store would fail the query (a 500), so inputs are held to years 1–9999.
const MIN_TIMESTAMP = new Date('0001-01-01T00:00:00.000Z');
const MAX_TIMESTAMP = new Date('9999-12-31T23:59:59.999Z');

/** A date from a query or body (ISO string or epoch ms) that Postgres can store and compare. */
export const timestampInput = z.coerce
  .date()
  .min(MIN_TIMESTAMP, 'must be in the years 0001 to 9999')
  .max(MAX_TIMESTAMP, 'must be in the years 0001 to 9999');

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return validate(schema, c.req.query(), 'query');
}
