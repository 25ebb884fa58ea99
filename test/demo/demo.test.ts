import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnv } from '../../demo/lib.js';
import { REPO_ROOT } from '../support/product-process.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

function runDemo(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, out });
    });
  });
}

describe('npm run demo', () => {
  let system: TestSystem;
  /** What the demo printed, for the summary's checks. */
  let summary = '';

  beforeAll(async () => {
    // No scheduled reconciliation during the run: what the demo prints is compared with the database after.
    system = await startTestSystem({ env: { ...demoEnv(), RECONCILE_CRON: '0 0 1 1 *' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  describe('when the instance runs without the demo settings', () => {
    it('refuses, saying how to start it', async () => {
      const other = await startTestSystem({ worker: false });
      try {
        const { code, out } = await runDemo({ BASE: other.baseUrl, TOKEN: TEST_ADMIN_TOKEN });
        expect(code).toBe(1);
        expect(out).toContain('npm run start:demo');
      } finally {
        await other.stop();
      }
    });
  });

  it('plays every channel and reports the outcome of each scenario', { timeout: 120_000 }, async () => {
    const { code, out } = await runDemo({ BASE: system.baseUrl, TOKEN: TEST_ADMIN_TOKEN });
    expect(code, out).toBe(0);
    for (const line of [
      'manual confirmed',
      'manual cancelled',
      'yemeksepeti shipped',
      'yemeksepeti processing',
      'yemeksepeti cancelled (attention)',
      'gofood delivered',
      'gofood confirmed',
      'insufficient stock in warehouse IST-KADIKOY',
      `${system.baseUrl}/docs`,
    ]) {
      expect(out, out).toContain(line);
    }
    expect(out).toMatch(/Yemeksepeti sends it again → 200 duplicate/);
    expect(out).toMatch(/the same key with another body → 422/);
    expect(out).toMatch(/GoBiz decision calls received: 2/);
    expect(out).toMatch(/BasketComplete → 202; sent again → 200 duplicate/);
    expect(out).toMatch(/ {2}1 {2}onebasket \w+/);
    expect(out).toMatch(/demo-kitchen reports fulfilled → 202/);
    expect(out).toMatch(/order F arrives with a corrupt total .* → 202; its processing fails for good/);
    summary = out;
  });

  describe('the summary it prints at the end', () => {
    /** The lines under a heading, up to the next blank line, trimmed. */
    const section = (heading: string) => {
      const lines = summary.split('\n');
      const at = lines.findIndex((l) => l.startsWith(heading));
      expect(at, `no "${heading}" in:\n${summary}`).toBeGreaterThanOrEqual(0);
      const end = lines.findIndex((l, i) => i > at && l.trim() === '');
      return lines.slice(at + 1, end === -1 ? undefined : end).map((l) => l.trim());
    };
    const rows = (counted: { key: string; n: number }[]) =>
      counted.map(({ key, n }) => `${n}  ${key}`).sort((a, b) => a.localeCompare(b));

    it('counts the orders by channel and status as the database holds them', async () => {
      const grouped = await sql<{ key: string; n: number }>`
        select channel || ' ' || status || case when attention_reason is null then '' else ' (attention)' end as key,
               count(*)::int as n
        from orders group by 1`.execute(system.db);
      expect(grouped.rows.length).toBeGreaterThan(5);
      expect(section('Orders of this run, by channel and status:').sort()).toEqual(rows(grouped.rows));
    });

    it('counts the dead events and messages, with the dead push and its error', async () => {
      const dead = await sql<{ events: number; outbox: number }>`
        select (select count(*)::int from inbound_events where status = 'dead') as events,
               (select count(*)::int from outbox where status = 'dead') as outbox`.execute(system.db);
      const { events, outbox } = dead.rows[0] ?? { events: -1, outbox: -1 };
      expect(events).toBe(1);
      expect(outbox).toBe(1);
      const lines = section(`Dead: ${events} inbox event(s), ${outbox} outbox message(s)`);
      expect(lines.filter((l) => l.startsWith('inbox yemeksepeti '))).toEqual([
        expect.stringContaining('amount out of range: "99999999999999999.99"'),
      ]);
      expect(lines.filter((l) => l.startsWith('outbox '))).toHaveLength(1);
    });

    it('counts the open interventions by source as the database holds them', async () => {
      const grouped = await sql<{ key: string; n: number }>`
        select source as key, count(*)::int as n from interventions where state = 'open' group by 1`.execute(
        system.db,
      );
      const total = grouped.rows.reduce((sum, r) => sum + r.n, 0);
      expect(grouped.rows.map((r) => r.key)).toEqual(expect.arrayContaining(['dead_event']));
      expect(section(`Open interventions, by source (${total} in all):`).sort()).toEqual(rows(grouped.rows));
    });

    it("says where to look, with console pages that open: the orders, an order's page, the dead events", async () => {
      const base = system.baseUrl;
      const lines = section('Where to look');
      for (const url of [
        `${base}/admin/console/orders`,
        `${base}/admin/console/events?kind=inbox&state=dead`,
        `${base}/admin/console/interventions`,
        `${base}/admin/queues`,
        `${base}/docs`,
      ]) {
        expect(
          lines.some((l) => l.split(/\s+/).includes(url)),
          url,
        ).toBe(true);
      }
      const orderPage = /(http:\S+\/admin\/console\/orders\/[0-9a-f-]{36})/.exec(lines.join('\n'))?.[1];
      const basic = `Basic ${Buffer.from(`ops:${TEST_ADMIN_TOKEN}`).toString('base64')}`;
      const page = await fetch(orderPage ?? '', { headers: { authorization: basic } });
      expect(page.status).toBe(200);
      const deadId = await system.db
        .selectFrom('inbound_events')
        .select('id')
        .where('status', '=', 'dead')
        .executeTakeFirstOrThrow();
      const deadPage = await fetch(`${base}/admin/console/events?kind=inbox&state=dead`, {
        headers: { authorization: basic },
      });
      expect(await deadPage.text()).toContain(`data-event="${deadId.id}"`);
    });
  });
});
