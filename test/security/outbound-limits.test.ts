import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_RESPONSE_LIMIT, pathSegment, providerRequest } from '../../src/integrations/http.js';
import { FakeProvider } from '../support/fake-provider.js';

let fake: FakeProvider;
let baseUrl: string;
beforeAll(async () => {
  fake = new FakeProvider();
  baseUrl = await fake.start();
});
afterAll(async () => {
  await fake?.close();
});

describe('when an id for a provider URL is a dot segment', () => {
  it.each(['..', '.', ''])('refuses to build the URL: %j', (id) => {
    expect(() => pathSegment(id)).toThrow(/refusing to build a provider URL/);
  });

  it('percent-encodes every other id, slashes included', () => {
    expect(pathSegment('a/../b')).toBe('a%2F..%2Fb');
    expect(pathSegment('...')).toBe('...');
    // An id that spells an encoded dot is encoded again: `%252e`, never read as a dot.
    expect(pathSegment('%2e%2e')).toBe('%252e%252e');
  });
});

describe('when a provider answers with a body over the response limit', () => {
  it('abandons it and fails the call for good instead of buffering it whole', async () => {
    fake.route('GET', '/huge', () => ({ body: 'x'.repeat(PROVIDER_RESPONSE_LIMIT + 1024) }));
    const call = providerRequest({ provider: 'test', method: 'GET', url: `${baseUrl}/huge` });
    await expect(call).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/over/) });
  });

  it('still reads a body within the limit', async () => {
    fake.route('GET', '/fine', () => ({ body: { ok: true } }));
    const res = await providerRequest({ provider: 'test', method: 'GET', url: `${baseUrl}/fine` });
    expect(res.data).toEqual({ ok: true });
  });
});
