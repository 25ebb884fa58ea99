/**
 * What the demo prints once the workers are done: the run's orders by channel and status, the dead events
 * and messages, the open interventions by source, and where to look (the console's pages, the job dashboard,
 * the API reference). Every number is read back from the instance's admin API.
 */
import type { Demo } from './lib.js';

type Row = Record<string, unknown>;
type Page = { data?: Row[]; total?: number };

const write = (text: string) => process.stdout.write(text);
const count = (n: number, what: string) => `  ${String(n).padStart(3)}  ${what}\n`;

/** Every row of a paged admin list (at most `pages` pages of 200). */
async function all(demo: Demo, pathname: string, pages = 20): Promise<{ rows: Row[]; total: number }> {
  const rows: Row[] = [];
  let total = 0;
  const sep = pathname.includes('?') ? '&' : '?';
  for (let page = 1; page <= pages; page++) {
    const { json } = await demo.admin('GET', `${pathname}${sep}limit=200&page=${page}`);
    const listed = json as Page;
    rows.push(...(listed.data ?? []));
    total = listed.total ?? rows.length;
    if ((listed.data ?? []).length < 200) break;
  }
  return { rows, total };
}

function tally(rows: Row[], key: (row: Row) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

export async function report(demo: Demo, started: string): Promise<void> {
  const base = demo.base;
  const since = new Date(Date.parse(started) - 3600_000).toISOString();
  const { rows: recent } = await all(demo, `/admin/orders?from=${since}`);
  const mine = recent.filter(
    (o) => String(o.externalOrderId).includes(demo.run) || String(o.createdAt) >= started,
  );
  write('\nOrders of this run, by channel and status:\n');
  for (const [key, n] of tally(
    mine,
    (o) => `${o.channel} ${o.status}${o.attentionReason ? ' (attention)' : ''}`,
  )) {
    write(count(n, key));
  }
  const flagged = mine.filter((o) => o.attentionReason);
  if (flagged.length) {
    write('\nFlagged for attention:\n');
    for (const o of flagged) write(`  ${o.channel} ${o.externalOrderId}: ${String(o.attentionReason)}\n`);
  }

  const attention = await all(demo, '/admin/events?status=attention', 1);
  if (attention.rows.length) {
    write('\nInbox events needing a person (attention):\n');
    for (const e of attention.rows) write(`  ${e.source} ${e.externalOrderId}: ${String(e.outcome)}\n`);
  }

  const deadEvents = await all(demo, '/admin/events?status=dead', 1);
  const deadOutbox = await all(demo, '/admin/outbox?status=dead', 1);
  write(`\nDead: ${deadEvents.total} inbox event(s), ${deadOutbox.total} outbox message(s)\n`);
  for (const e of deadEvents.rows)
    write(`  inbox ${e.source} ${e.externalOrderId ?? e.id}: ${String(e.lastError ?? '')}\n`);
  for (const m of deadOutbox.rows) write(`  outbox ${m.id} ${m.topic}: ${String(m.lastError ?? '')}\n`);

  const open = await all(demo, '/admin/interventions?state=open');
  write(`\nOpen interventions, by source (${open.total} in all):\n`);
  for (const [source, n] of tally(open.rows, (i) => String(i.source))) write(count(n, source));

  const shown = flagged[0] ?? mine[0];
  const ui = `${base}/admin/console`;
  write(`
Where to look (the console asks for the admin token once: ${base}/auth/console):
  orders             ${ui}/orders
${shown ? `  an order's page    ${ui}/orders/${shown.id}   (${shown.channel} ${shown.externalOrderId})\n` : ''}  dead events        ${ui}/events?kind=inbox&state=dead
  dead messages      ${ui}/events?kind=outbox&state=dead
  interventions      ${ui}/interventions
  job dashboard      ${base}/admin/queues   (any user name, the admin token as password)
  API reference      ${base}/docs
  the same as JSON   curl -s -H "Authorization: Bearer $TOKEN" '${base}/admin/orders?limit=20'
`);
}
