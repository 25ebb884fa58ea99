import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../http/env.js';
import { securityHeaders } from './security-headers.js';

const app = new Hono<AppEnv>();
app.use(securityHeaders());
app.get('/json', (c) => c.json({ ok: true }, 202));
app.get('/cached', (c) => {
  c.header('Cache-Control', 'public, max-age=60');
  return c.json({ ok: true });
});
app.get('/html', (c) => c.html('<p>hi</p>'));
app.get('/redirect', () => Response.redirect('http://localhost/elsewhere', 302));

describe('securityHeaders', () => {
  it('marks a JSON answer no-store and nosniff, keeping its status and body', async () => {
    const res = await app.request('/json');
    expect(res.status).toBe(202);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('keeps the Cache-Control a route set itself', async () => {
    const res = await app.request('/cached');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('forbids framing an HTML page', async () => {
    const res = await app.request('/html');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toBe('<p>hi</p>');
  });

  it('sets the headers on a response whose own headers are immutable', async () => {
    const res = await app.request('/redirect');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://localhost/elsewhere');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
