import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../lib/json.js';
import { createLogger } from '../lib/logger.js';
import type { AppEnv } from './env.js';
import { answerErrorsInEnvelope } from './envelope.js';
import { readJsonBody } from './input.js';

const app = new Hono<AppEnv>();
app.post('/echo', async (c) => c.json({ body: (await readJsonBody(c)).json }));
answerErrorsInEnvelope(app, createLogger('silent'));

const post = (raw: string) =>
  app.request('/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('readJsonBody', () => {
  it('accepts a shallow body with more brackets than the depth limit', async () => {
    const items = Array.from({ length: MAX_JSON_DEPTH * 3 }, (_, i) => ({ i, tags: [i] }));
    const res = await post(JSON.stringify({ items }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: { items: unknown[] } }).body.items).toHaveLength(
      MAX_JSON_DEPTH * 3,
    );
  });

  it('accepts nesting up to the limit and refuses one level more', async () => {
    expect((await post(nested(MAX_JSON_DEPTH))).status).toBe(200);
    const res = await post(nested(MAX_JSON_DEPTH + 1));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'malformed_json' } });
  });

  it.each([
    ['an escaped NUL', '{"a":"x\\u0000y"}'],
    ['an escaped lone high surrogate', '{"a":"x\\ud800"}'],
    ['an escaped lone low surrogate', '{"a":"\\udc00y"}'],
    ['an escaped NUL in a key', '{"a\\u0000":1}'],
  ])('refuses %s with 400 malformed_json', async (_name, raw) => {
    const res = await post(raw);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'malformed_json' } });
  });

  it('accepts escaped surrogate pairs and other escapes, and unescaped Turkish text', async () => {
    const res = await post('{"emoji":"\\ud83d\\ude00","tab":"a\\tb","name":"Çağrı Güneşoğlu"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: { emoji: '😀', tab: 'a\tb', name: 'Çağrı Güneşoğlu' } });
  });
});
