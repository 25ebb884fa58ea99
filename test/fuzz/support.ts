import http from 'node:http';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { z } from 'zod';
import type { Db } from '../../src/db/index.js';

/** The one error envelope every error response carries (src/gateway/app.ts). */
export const errorEnvelopeSchema = z
  .object({
    error: z
      .object({
        code: z.string().regex(/^[a-z][a-z0-9_]*$/),
        message: z.string().min(1),
        requestId: z.string().min(1),
        details: z.unknown().optional(),
      })
      .strict(),
  })
  .strict();

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as is: any bytes, any length; no content-type is added. */
  body?: Buffer | string;
}

/**
 * One request over a fresh connection with exactly the given bytes and headers: fetch refuses some of what
 * the fuzzers need to send (arbitrary bytes with a lying content type, no content type at all).
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(req.path, baseUrl);
  const body =
    req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: req.method ?? 'POST',
        agent: false,
        headers: {
          ...(body ? { 'content-length': String(body.length) } : {}),
          ...req.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The response is a client error in the envelope. Returns the error code. */
export function expectClientError(res: RawResponse, context = ''): string {
  const where = context ? ` (${context})` : '';
  expect(res.status, `status${where}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `status${where}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.headers['content-type'] ?? '', `content type${where}`).toMatch(/^application\/json/);
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new Error(`response body is not JSON${where}: ${res.text.slice(0, 300)}`);
  }
  const parsed = errorEnvelopeSchema.safeParse(body);
  expect(parsed.success, `envelope${where}: ${res.text.slice(0, 300)}`).toBe(true);
  return parsed.success ? parsed.data.error.code : '';
}

/** Row counts of every table a request could write to, directly or through the worker (one round trip). */
export async function storedCounts(db: Db): Promise<Record<string, number>> {
  const tables = [
    'inbound_events',
    'orders',
    'order_items',
    'order_events',
    'order_channel_statuses',
    'stock_reservations',
    'customers',
    'outbox',
    'warehouses',
    'warehouse_external_stores',
    'stock_levels',
    'gofood_outlets',
  ] as const;
  const selects = tables.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`);
  const result = await sql<Record<string, string | number>>`select ${sql.join(selects)}`.execute(db);
  const row = result.rows[0] ?? {};
  return Object.fromEntries(tables.map((t) => [t, Number(row[t] ?? 0)]));
}

/** fast-check runs per property: modest so the whole fuzz suite stays well under a minute. */
// PGlite serialises every query on one connection, so it gets half the runs.
export const FUZZ_RUNS = Number.parseInt(
  process.env.FUZZ_RUNS ?? (process.env.DATABASE_URL ? '30' : '15'),
  10,
);

/** JSON value that is any JSON type, including nesting, unicode and edge numbers. */
export function jsonLeafReplacements(): unknown[] {
  return [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    ' ',
    'x'.repeat(10_000),
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff tail',
    '😀',
    '<script>',
    "'; drop table orders; --",
    [],
    [null],
    {},
    { __proto__: 'x' },
    { constructor: { prototype: {} } },
  ];
}

/** Every path (array of keys/indices) to a value inside `value`, the root excluded. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i], ...pathsOf(v, [...prefix, i]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
    }
  }
  return out;
}

/** A deep copy of `value` with the value at `path` replaced (or deleted when `replacement` is `DELETE`). */
export const DELETE = Symbol('delete');
export function withAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as unknown;
  let parent: unknown = copy;
  for (const key of path.slice(0, -1)) {
    parent = (parent as Record<string | number, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (last === undefined || parent === null || typeof parent !== 'object') return copy;
  if (replacement === DELETE) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete (parent as Record<string | number, unknown>)[last];
  } else {
    (parent as Record<string | number, unknown>)[last] = replacement;
  }
  return copy;
}

export function nested(depth: number, open = '[', close = ']'): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** A chunked request (no Content-Length), written chunk by chunk. */
export function chunkedRequest(
  baseUrl: string,
  pathname: string,
  headers: Record<string, string>,
  chunks: Buffer[],
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(pathname, baseUrl),
      { method: 'POST', agent: false, headers: { ...headers, 'transfer-encoding': 'chunked' } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(parts).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
