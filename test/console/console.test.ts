import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { sql } from 'kysely';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualOrder, postOrder } from '../durability/helpers.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** `CONSOLE_SCREENSHOTS=1` keeps a screenshot of each main page in docs/console/ (the README shows them). */
const VIEWER_TOKEN = 'console-viewer-token-0123456789';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1' ? 'docs/console' : undefined;

describe('the operator console', () => {
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let eventId: string;

  const eventStatus = async (id: string) =>
    (
      await system.db
        .selectFrom('inbound_events')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).status;

  /** A dead inbox event whose cause then goes away: the database refuses its order once, by trigger. */
  const deadEvent = async (externalOrderId: string): Promise<string> => {
    await sql
      .raw(`
        create or replace function og_test_refuse() returns trigger language plpgsql as $$
        begin raise exception 'simulated integrity violation for %', new.external_order_id using errcode = '23503'; end $$`)
      .execute(system.db);
    await sql
      .raw(`create trigger og_test_refuse before insert on orders for each row
        when (new.external_order_id = '${externalOrderId}') execute function og_test_refuse()`)
      .execute(system.db);
    const res = await postOrder(system.baseUrl, manualOrder(externalOrderId), `idem-${externalOrderId}`);
    const id = ((await res.json()) as { eventId: string }).eventId;
    await waitFor(async () => ((await eventStatus(id)) === 'dead' ? true : undefined));
    await sql.raw('drop trigger og_test_refuse on orders').execute(system.db);
    return id;
  };

  const shoot = async (name: string) => {
    if (!SCREENSHOTS) return;
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
    system = await startTestSystem({ env: { INBOX_ATTEMPTS: '1' } });
    for (const id of ['console-tea-1', 'console-tea-2']) {
      expect((await postOrder(system.baseUrl, manualOrder(id))).status).toBe(202);
    }
    await waitFor(async () => {
      const rows = await system.db.selectFrom('orders').select('id').execute();
      return rows.length === 2 ? true : undefined;
    });
    eventId = await deadEvent('console-dead-1');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  const text = () => page.$eval('body', (b) => b.textContent ?? '');

  it('sends a browser without a session to the sign-in page, refuses a wrong token, signs in with the right one', async () => {
    await page.goto(`${system.baseUrl}/admin/console`);
    expect(new URL(page.url()).pathname).toBe('/auth/console');
    await shoot('login');
    await page.type('input[name=token]', 'not-the-admin-token-at-all');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/auth/console');
    expect(await page.$eval('.error', (e) => e.textContent ?? '')).toContain(
      'a valid admin token is required',
    );
    expect(await browser.cookies()).toEqual([]);
    await page.type('input[name=token]', TEST_ADMIN_TOKEN);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/admin/console/orders');
    expect(await text()).toContain('console-tea-2');
    const cookies = await browser.cookies();
    expect(cookies.find((k) => k.name === 'og_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
  });

  it('finds an order by search and opens it on its timeline', async () => {
    await page.type('input[name=q]', 'console-tea-1');
    await Promise.all([page.waitForNavigation(), page.click('fieldset button[type=submit]')]);
    const rows = await page.$$eval('table tr td:first-child a', (as) => as.map((a) => a.textContent));
    expect(rows).toHaveLength(1);
    await shoot('orders');
    await Promise.all([page.waitForNavigation(), page.click('table tr td:first-child a')]);
    expect(await text()).toContain('console-tea-1');
    const timeline = await page.$$eval('#timeline tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(timeline.join('\n')).toContain('created from manual order console-tea-1');
    await shoot('order');
  });

  it('cancels the order after its confirmation page, and the timeline says who did it', async () => {
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/actions/cancel"]')]);
    expect(await text()).toContain('Confirm: cancel order');
    await page.type('input[name=reason]', 'customer called to cancel');
    await Promise.all([page.waitForNavigation(), page.click('button[name=confirm]')]);
    expect(await text()).toContain('cancel done: the order is cancelled');
    const timeline = await page.$$eval('#timeline tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(timeline.join('\n')).toMatch(/cancelled.*admin:admin:/);
  });

  it("shows the refusal of an action the order's state forbids, and changes nothing", async () => {
    const before = await page.$$eval('#timeline tr', (trs) => trs.length);
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/actions/dispatch"]')]);
    await Promise.all([page.waitForNavigation(), page.click('button[name=confirm]')]);
    expect(await page.$eval('.error', (e) => e.textContent ?? '')).toMatch(
      /^illegal_transition: order cannot move/,
    );
    expect(await page.$$eval('#timeline tr', (trs) => trs.length)).toBe(before);
  });

  it('shows a dead event with its error and replays it until it is processed', async () => {
    await page.goto(`${system.baseUrl}/admin/console/events?kind=inbox&state=dead`);
    const row = `tr[data-event="${eventId}"]`;
    expect(await page.$eval(row, (tr) => tr.textContent ?? '')).toContain(
      'simulated integrity violation for console-dead-1',
    );
    await shoot('events');
    await page.goto(`${system.baseUrl}/admin/console/interventions`);
    await shoot('interventions');
    await page.goto(`${system.baseUrl}/admin/console/events?kind=inbox&state=dead`);
    await Promise.all([page.waitForNavigation(), page.click(`${row} button`)]);
    expect(await text()).toContain(`event ${eventId} replayed`);
    await waitFor(async () => ((await eventStatus(eventId)) === 'processed' ? true : undefined));
    await page.goto(`${system.baseUrl}/admin/console/events?kind=inbox&state=processed`);
    expect(await page.$(row)).not.toBeNull();
  });

  it('pages a list longer than one page, keeping its kind and state on the next page', async () => {
    await sql`
      insert into outbox (topic, payload, status, last_error)
      select 'console.paging', jsonb_build_object('n', n), 'dead', 'provider said no'
      from generate_series(1, 105) as n`.execute(system.db);
    await page.goto(`${system.baseUrl}/admin/console/events?kind=outbox&state=dead`);
    expect(await page.$$eval('tr[data-outbox]', (trs) => trs.length)).toBe(100);
    await Promise.all([page.waitForNavigation(), page.click('a[rel=next]')]);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ kind: 'outbox', state: 'dead', page: '2' });
    expect(await page.$$eval('tr[data-outbox]', (trs) => trs.length)).toBe(5);
    expect(await page.$('a[rel=next]')).toBeNull();
    await Promise.all([page.waitForNavigation(), page.click('a[rel=prev]')]);
    expect(await page.$$eval('tr[data-outbox]', (trs) => trs.length)).toBe(100);
  });

  it('signs out: the session is gone and the console asks to sign in again', async () => {
    await Promise.all([page.waitForNavigation(), page.click('header button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/auth/console');
    await page.goto(`${system.baseUrl}/admin/console/orders`);
    expect(new URL(page.url()).pathname).toBe('/auth/console');
  });
});

describe('the operator console without a browser', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ worker: false, env: { ADMIN_TOKENS: `${VIEWER_TOKEN}:viewer` } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const signIn = async (token = TEST_ADMIN_TOKEN) => {
    const res = await fetch(`${system.baseUrl}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(res.status).toBe(201);
    const cookie = res.headers
      .getSetCookie()
      .map((k) => k.split(';')[0])
      .join('; ');
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return { cookie, csrfToken };
  };
  const openIntervention = () =>
    system.db
      .insertInto('interventions')
      .values({
        source: 'inbox',
        cause_key: `test:${Math.random()}`,
        summary: 'look at this',
        details: {},
        actions: [],
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  const stateOf = async (id: string) =>
    (
      await system.db
        .selectFrom('interventions')
        .select('state')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).state;
  const resolve = (id: string, headers: Record<string, string>, csrf: string) =>
    fetch(`${system.baseUrl}/admin/console/interventions/${id}/resolve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ _csrf: csrf, note: 'called the provider' }).toString(),
    });

  describe('when a page is opened without any credential', () => {
    it('redirects a browser to the sign-in page and refuses a form post with 401', async () => {
      const page = await fetch(`${system.baseUrl}/admin/console/orders`, { redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/auth/console?next=%2Fadmin%2Fconsole%2Forders');
      const prompt = await fetch(`${system.baseUrl}/admin/console/orders?prompt=basic`, {
        headers: { accept: 'text/html' },
      });
      expect(prompt.status).toBe(401);
      expect(prompt.headers.get('www-authenticate')).toMatch(/^Basic /);
      const { id } = await openIntervention();
      expect((await resolve(id, {}, 'x')).status).toBe(401);
      expect(await stateOf(id)).toBe('open');
    });
  });

  describe('when a form is posted from another site with the session cookie', () => {
    it('changes nothing', async () => {
      const { cookie, csrfToken } = await signIn();
      const { id } = await openIntervention();
      const crossSite = await resolve(
        id,
        { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        csrfToken,
      );
      expect(crossSite.status).toBe(403);
      expect(await stateOf(id)).toBe('open');
    });
  });

  describe('when a form is posted without the session CSRF token', () => {
    it('changes nothing', async () => {
      const { cookie } = await signIn();
      const { id } = await openIntervention();
      expect((await resolve(id, { cookie }, 'not-the-token')).status).toBe(403);
      expect(await stateOf(id)).toBe('open');
    });
  });

  describe('when a form is posted with Basic credentials only', () => {
    it('changes nothing, though Basic credentials read the page', async () => {
      const basic = `Basic ${Buffer.from(`ops:${TEST_ADMIN_TOKEN}`).toString('base64')}`;
      const orders = await fetch(`${system.baseUrl}/admin/console/orders?prompt=basic`, {
        headers: { authorization: basic },
      });
      expect(await orders.text()).not.toContain('class="error"');
      const read = await fetch(`${system.baseUrl}/admin/console/interventions`, {
        headers: { authorization: basic },
      });
      expect(read.status).toBe(200);
      expect(await read.text()).toMatch(/^<!doctype html><html lang="en">/);
      expect(read.headers.get('x-frame-options')).toBe('DENY');
      const missing = await fetch(`${system.baseUrl}/admin/console/orders/${randomUUID()}`, {
        headers: { authorization: basic },
      });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await missing.text()).toContain('order not found');
      const { id } = await openIntervention();
      expect((await resolve(id, { authorization: basic }, '')).status).toBe(403);
      expect(await stateOf(id)).toBe('open');
    });
  });

  describe('when a viewer posts a form with its own session and CSRF token', () => {
    it('is refused with 403, and the page offers the viewer no form', async () => {
      const { cookie, csrfToken } = await signIn(VIEWER_TOKEN);
      const { id } = await openIntervention();
      const page = await fetch(`${system.baseUrl}/admin/console/interventions`, { headers: { cookie } });
      expect(await page.text()).not.toContain(`/admin/console/interventions/${id}/resolve`);
      expect((await resolve(id, { cookie }, csrfToken)).status).toBe(403);
      expect(await stateOf(id)).toBe('open');
    });
  });

  describe('when a list has more rows than one page', () => {
    /** The ids a page lists (`data-<kind>` rows) and its `older →` link, decoded. */
    const readPage = async (path: string, cookie: string, attribute: string) => {
      const res = await fetch(`${system.baseUrl}${path}`, { headers: { cookie } });
      expect(res.status).toBe(200);
      const html = await res.text();
      const ids = [...html.matchAll(new RegExp(`${attribute}="([^"]+)"`, 'g'))].map((m) => m[1]);
      const next = /<a rel="next" href="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
      const prev = /<a rel="prev" href="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
      return { ids, next, prev, html };
    };

    it('shows the rest of the inbox events on page 2, keeping the kind and state', async () => {
      const { cookie } = await signIn();
      const inserted = await sql<{ id: string }>`
        insert into inbound_events (source, dedup_key, event_type, external_order_id, payload, meta, status, last_error)
        select 'manual', 'console-paging-' || n, 'order.create', 'console-paging-' || n, '{}', '{}', 'attention', 'stuck'
        from generate_series(1, 130) as n returning id`.execute(system.db);
      const first = await readPage('/admin/console/events?kind=inbox&state=attention', cookie, 'data-event');
      expect(first.ids).toHaveLength(100);
      expect(first.html).toContain('130 events, newest first · page 1 of 2');
      expect(first.prev).toBeUndefined();
      expect(first.next).toBe('/admin/console/events?kind=inbox&state=attention&page=2');
      const second = await readPage(first.next ?? '', cookie, 'data-event');
      expect(second.ids).toHaveLength(30);
      expect(second.next).toBeUndefined();
      expect(second.prev).toBe('/admin/console/events?kind=inbox&state=attention');
      expect(new Set([...first.ids, ...second.ids])).toEqual(new Set(inserted.rows.map((r) => r.id)));
    });

    it('shows the rest of the interventions on page 2, keeping the source filter', async () => {
      const { cookie } = await signIn();
      await sql`
        insert into interventions (source, cause_key, summary, details, actions)
        select 'payment_mismatch', 'console-paging:' || n, 'amount differs', '{}', '[]'
        from generate_series(1, 120) as n`.execute(system.db);
      const path = '/admin/console/interventions?state=open&source=payment_mismatch';
      const first = await readPage(path, cookie, 'data-intervention');
      expect(first.ids).toHaveLength(100);
      expect(first.next).toBe(`${path}&page=2`);
      const second = await readPage(first.next ?? '', cookie, 'data-intervention');
      expect(second.ids).toHaveLength(20);
      expect(second.next).toBeUndefined();
      expect(new Set([...first.ids, ...second.ids]).size).toBe(120);
    });

    it('answers a page past the deepest a list may go with a 400 page, not a scan', async () => {
      const { cookie } = await signIn();
      const res = await fetch(`${system.baseUrl}/admin/console/events?kind=outbox&state=dead&page=500`, {
        headers: { cookie },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('narrow the filter');
    });
  });

  describe('when the form carries the session cookie and its CSRF token', () => {
    it('resolves the intervention, naming who did it', async () => {
      const { cookie, csrfToken } = await signIn();
      const { id } = await openIntervention();
      const res = await resolve(id, { cookie }, csrfToken);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toContain('notice=');
      const row = await system.db
        .selectFrom('interventions')
        .select(['state', 'resolved_by'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.state).toBe('resolved');
      expect(row.resolved_by).toMatch(/^admin:admin:/);
    });
  });
});
