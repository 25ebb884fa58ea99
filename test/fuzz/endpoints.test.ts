import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { fuzzEnv, jsonEndpoints } from './endpoints.js';
import {
  chunkedRequest,
  DELETE,
  expectClientError,
  FUZZ_RUNS,
  jsonLeafReplacements,
  nested,
  pathsOf,
  rawRequest,
  storedCounts,
  withAt,
} from './support.js';

// The gateway alone: routes only write the inbox, so "nothing stored" is checked without a worker turning
// accepted events into orders behind the counts' back.
let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ worker: false, env: fuzzEnv });
});
afterAll(async () => {
  await system?.stop();
});

let seq = 0;

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe.each(jsonEndpoints)('$name', (endpoint) => {
  const send = (raw: string | Buffer, headers: Record<string, string>) =>
    rawRequest(system.baseUrl, { path: endpoint.path, headers, body: raw });
  const sendJson = (body: unknown) => {
    const raw = JSON.stringify(body);
    return send(raw, endpoint.authentic(raw));
  };

  /** Runs `act`, expects a 4xx envelope, and that no table gained a row. */
  async function refusedAndNothingStored(
    act: () => Promise<Awaited<ReturnType<typeof send>>>,
    context: string,
  ) {
    const before = await storedCounts(system.db);
    const res = await act();
    const code = expectClientError(res, context);
    expect(await storedCounts(system.db), `stored rows after ${context}`).toEqual(before);
    return { res, code };
  }

  /** Never a 5xx; a refusal is a 4xx envelope with nothing stored, an acceptance stores one event (a duplicate none). */
  async function neverServerErrorAndStoresAtMostOne(
    act: () => Promise<Awaited<ReturnType<typeof send>>>,
    context: string,
  ) {
    const before = await storedCounts(system.db);
    const res = await act();
    expect(res.status, `${context}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
    const after = await storedCounts(system.db);
    if (res.status >= 400) {
      expectClientError(res, context);
      expect(after, context).toEqual(before);
    } else {
      // A body the generator produced twice (`{}` is likely) is answered as the duplicate it is.
      const duplicate = (JSON.parse(res.text) as { duplicate?: boolean }).duplicate === true;
      expect(after.inbound_events, context).toBe((before.inbound_events ?? 0) + (duplicate ? 0 : 1));
    }
  }

  it('accepts its valid body (the baseline the mutations start from)', async () => {
    const res = await sendJson(endpoint.validBody(++seq));
    expect(res.status, res.text).toBeGreaterThanOrEqual(200);
    expect(res.status, res.text).toBeLessThan(300);
  });

  describe('when the body is random JSON', () => {
    it('answers 4xx in the envelope and stores nothing (a lenient endpoint may store an object)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
          const context = `random body ${JSON.stringify(value).slice(0, 100)}`;
          const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
          if (!endpoint.lenient || !isObject) {
            await refusedAndNothingStored(() => sendJson(value), context);
            return;
          }
          await neverServerErrorAndStoresAtMostOne(() => sendJson(value), context);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when a valid body is mutated in a way its schema forbids', () => {
    it.each(endpoint.invalidMutations)('answers 4xx and stores nothing: $name', async (mutation) => {
      const body = mutation.apply(endpoint.validBody(++seq));
      await refusedAndNothingStored(() => sendJson(body), mutation.name);
    });
  });

  describe('when any field of a valid body is replaced or deleted at random', () => {
    it('never answers 5xx; a refusal stores nothing and an acceptance stores one event', async () => {
      const base = endpoint.validBody(0);
      const paths = pathsOf(base);
      const replacement = fc.oneof(
        fc.constantFrom(...jsonLeafReplacements(), DELETE),
        fc.jsonValue({ maxDepth: 3 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), replacement, async (path, value) => {
          const body = withAt(endpoint.validBody(++seq), path, value);
          const context = `${path.join('.')} := ${value === DELETE ? '(deleted)' : JSON.stringify(value)?.slice(0, 80)}`;
          await neverServerErrorAndStoresAtMostOne(() => sendJson(body), context);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when the content type is not JSON', () => {
    it('answers 4xx and stores nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/xml',
            'text/json',
            'application/jsonp',
            '',
            'application/octet-stream',
          ),
          async (contentType) => {
            const raw = JSON.stringify(endpoint.validBody(++seq));
            const headers = { ...endpoint.authentic(raw), 'content-type': contentType };
            if (contentType === '') delete (headers as Record<string, string | undefined>)['content-type'];
            await refusedAndNothingStored(() => send(raw, headers), `content type "${contentType}"`);
          },
        ),
        { numRuns: 8 },
      );
    });
  });

  describe('when the body is not valid UTF-8', () => {
    it('answers 4xx and stores nothing', async () => {
      const invalidSequences = [
        [0xff],
        [0xc3, 0x28],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xc0, 0xaf],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...invalidSequences), fc.nat(), async (bad, at) => {
          const valid = Buffer.from(JSON.stringify(endpoint.validBody(++seq)));
          const cut = at % valid.length;
          const body = Buffer.concat([valid.subarray(0, cut), Buffer.from(bad), valid.subarray(cut)]);
          const raw = body.toString('latin1');
          await refusedAndNothingStored(() => send(body, endpoint.authentic(raw)), `bytes ${bad} at ${cut}`);
        }),
        { numRuns: 12 },
      );
    });
  });

  describe('when the body is malformed JSON', () => {
    it('answers 4xx and stores nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 20 }), async (at, length) => {
          const valid = JSON.stringify(endpoint.validBody(++seq));
          const cut = at % valid.length;
          const raw = valid.slice(0, cut) + valid.slice(Math.min(valid.length, cut + length), -1);
          // Cutting out exactly `"body":{` leaves valid JSON (its brace is the one dropped at the end).
          fc.pre(!parses(raw));
          await refusedAndNothingStored(
            () => send(raw, endpoint.authentic(raw)),
            `truncated ${raw.slice(0, 80)}`,
          );
        }),
        { numRuns: 10 },
      );
    });
  });

  describe('when the body is larger than the limit', () => {
    it('answers 413 whether or not a Content-Length announces it', async () => {
      const limit = system.config.BODY_LIMIT_BYTES;
      const base = endpoint.validBody(++seq) as Record<string, unknown>;
      const raw = JSON.stringify({ ...base, padding: 'x'.repeat(limit + 10) });
      const { res } = await refusedAndNothingStored(() => send(raw, endpoint.authentic(raw)), 'huge body');
      expect(res.status).toBe(413);

      // Chunked: no Content-Length to check up front; the limit applies while reading.
      const before = await storedCounts(system.db);
      const chunks: Buffer[] = [];
      for (let i = 0; i < raw.length; i += 64 * 1024) chunks.push(Buffer.from(raw.slice(i, i + 64 * 1024)));
      const chunked = await chunkedRequest(
        system.baseUrl,
        endpoint.path,
        endpoint.authentic(raw),
        chunks,
      ).catch(
        // The server may answer 413 and close before everything is written: the client sees a reset.
        (err: unknown) => ({ status: -1, text: String(err), headers: {} }),
      );
      if (chunked.status !== -1) {
        expect(chunked.status, chunked.text).toBe(413);
      }
      expect(await storedCounts(system.db)).toEqual(before);
    });
  });

  describe('when the body is deeply nested JSON', () => {
    it.each([
      ['100k levels of arrays', nested(100_000)],
      ['100k levels of objects', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
      ['100k unbalanced opening brackets', '['.repeat(100_000)],
      ['a valid body with a 10k-deep field', ''],
    ])('answers 4xx, stores nothing and keeps serving: %s', async (name, rawOrEmpty) => {
      const raw =
        rawOrEmpty || JSON.stringify(endpoint.validBody(++seq)).replace(/^\{/, `{"deep":${nested(10_000)},`);
      await refusedAndNothingStored(() => send(raw, endpoint.authentic(raw)), name);
      const health = await rawRequest(system.baseUrl, { method: 'GET', path: '/healthz' });
      expect(health.status).toBe(200);
    });
  });

  describe('when the credentials are missing or wrong', () => {
    it.each(endpoint.badCredentials)('answers 401/403 and stores nothing: $name', async (credentials) => {
      const raw = JSON.stringify(endpoint.validBody(++seq));
      const { res } = await refusedAndNothingStored(
        () => send(raw, credentials.headers(raw)),
        credentials.name,
      );
      expect([401, 403]).toContain(res.status);
    });

    it('answers 4xx to random values of its credential header', async () => {
      const printable = fc.string({
        unit: fc.constantFrom(...' !#$%&()*+-./0123456789:;=?@ABCXYZabcxyz~'.split('')),
        maxLength: 80,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            printable,
            printable.map((s) => `Bearer ${s}`),
          ),
          async (authorization) => {
            const raw = JSON.stringify(endpoint.validBody(++seq));
            const headers = { ...endpoint.authentic(raw), [endpoint.credentialHeader]: authorization };
            const { res } = await refusedAndNothingStored(
              () => send(raw, headers),
              `${endpoint.credentialHeader} "${authorization}"`,
            );
            expect([400, 401, 403]).toContain(res.status);
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe.runIf(endpoint.signsBody)('when authentic headers are sent with a different body', () => {
    it('answers 401 and stores nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), async (at, insert) => {
          const signed = JSON.stringify(endpoint.validBody(++seq));
          const other = JSON.stringify(endpoint.validBody(++seq));
          const cut = at % other.length;
          // Either a wholly different valid body, or the signed one with a few characters changed.
          const raw = at % 2 === 0 ? other : `${signed.slice(0, cut)}${insert}${signed.slice(cut)}`;
          fc.pre(raw !== signed);
          const { res } = await refusedAndNothingStored(
            () => send(raw, endpoint.authentic(signed)),
            'signature over another body',
          );
          expect([400, 401]).toContain(res.status);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when a method other than POST is used', () => {
    it.each(['GET', 'PUT', 'PATCH', 'DELETE'])('answers 4xx and stores nothing: %s', async (method) => {
      const raw = JSON.stringify(endpoint.validBody(++seq));
      await refusedAndNothingStored(
        () =>
          rawRequest(system.baseUrl, {
            method,
            path: endpoint.path,
            headers: endpoint.authentic(raw),
            body: raw,
          }),
        method,
      );
    });
  });

  describe('when an accepted request is replayed byte for byte', () => {
    it('stores nothing new and answers a duplicate or a refusal, never a second acceptance', async () => {
      const raw = JSON.stringify(endpoint.validBody(++seq));
      const headers = endpoint.authentic(raw);
      const first = await send(raw, headers);
      expect(first.status, first.text).toBeGreaterThanOrEqual(200);
      expect(first.status, first.text).toBeLessThan(300);
      for (let i = 0; i < 3; i++) {
        const before = await storedCounts(system.db);
        const replay = await send(raw, headers);
        expect(await storedCounts(system.db)).toEqual(before);
        if (replay.status >= 400) expectClientError(replay, 'replay');
        else expect(JSON.parse(replay.text)).toMatchObject({ duplicate: true });
      }
    });
  });
});
