import { afterEach, describe, expect, it } from 'vitest';
import { ensureStopped, freePort, type ProductProcess, spawnProduct } from '../support/product-process.js';
import { usingPostgres, waitFor } from '../support/system.js';
import {
  inboxAndOrders,
  manualOrder,
  type ProductEnvironment,
  postOrder,
  productEnvironment,
} from './helpers.js';

const BURST = 25;

/** Posts a burst of distinct orders at once; returns the acknowledged event ids by external order id. */
async function postBurst(baseUrl: string, tag: string): Promise<Map<string, string>> {
  const responses = await Promise.all(
    Array.from({ length: BURST }, (_, i) => postOrder(baseUrl, manualOrder(`${tag}-${i}`))),
  );
  const acknowledged = new Map<string, string>();
  for (const [i, res] of responses.entries()) {
    expect(res.status).toBe(202);
    const body = (await res.json()) as { eventId: string };
    acknowledged.set(`${tag}-${i}`, body.eventId);
  }
  return acknowledged;
}

/** Every acknowledged event ends processed, with exactly one order per external order id. */
async function expectNothingLost(baseUrl: string, acknowledged: Map<string, string>): Promise<void> {
  const ids = new Set(acknowledged.values());
  const state = await waitFor(
    async () => {
      const s = await inboxAndOrders(baseUrl);
      const done = s.events.filter((e) => ids.has(e.id) && e.status === 'processed');
      return done.length === ids.size ? s : undefined;
    },
    90_000,
    250,
  );
  const eventsForUs = state.events.filter((e) => ids.has(e.id));
  expect(eventsForUs).toHaveLength(acknowledged.size);
  const wanted = [...acknowledged.keys()].sort();
  const ordered = state.orders
    .map((o) => o.externalOrderId)
    .filter((id) => acknowledged.has(id))
    .sort();
  expect(ordered).toEqual(wanted);
}

describe.each([
  { kind: 'pg' as const, skip: !usingPostgres },
  { kind: 'pglite' as const, skip: false },
])('when the process is killed with SIGKILL right after its 202s ($kind)', ({ kind, skip }) => {
  let env: ProductEnvironment | undefined;
  let proc: ProductProcess | undefined;
  afterEach(async () => {
    await ensureStopped(proc);
    await env?.cleanup();
  });

  it.skipIf(skip)('loses nothing once it is started again', { timeout: 240_000 }, async () => {
    env = await productEnvironment(kind);
    const port = await freePort();

    // 1. The gateway alone: every acknowledged event is still unprocessed when the process dies.
    proc = spawnProduct({ command: { tsx: 'src/web.ts' }, port, env: env.env });
    await proc.waitHealthy(60_000);
    const beforeWorkers = await postBurst(proc.baseUrl, 'web-only');
    proc.kill('SIGKILL');
    expect((await proc.exited).signal).toBe('SIGKILL');

    // 2. Gateway and workers together, killed while the workers are still on the burst.
    proc = spawnProduct({ command: { tsx: 'src/main.ts' }, port, env: env.env });
    await proc.waitHealthy(60_000);
    const midProcessing = await postBurst(proc.baseUrl, 'mid-processing');
    proc.kill('SIGKILL');
    expect((await proc.exited).signal).toBe('SIGKILL');

    // 3. Started again: both bursts end processed, one order each.
    proc = spawnProduct({ command: { tsx: 'src/main.ts' }, port, env: env.env });
    await proc.waitHealthy(60_000);
    await expectNothingLost(proc.baseUrl, new Map([...beforeWorkers, ...midProcessing]));
    const { eventTotal, orderTotal } = await inboxAndOrders(proc.baseUrl);
    expect(eventTotal).toBe(2 * BURST);
    expect(orderTotal).toBe(2 * BURST);
  });
});
