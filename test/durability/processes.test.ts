import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { procfileCommands } from '../../src/lib/procfile.js';
import {
  ensureStopped,
  freePort,
  type ProductProcess,
  REPO_ROOT,
  spawnProduct,
} from '../support/product-process.js';
import { usingPostgres, waitFor } from '../support/system.js';
import {
  adminGet,
  inboxAndOrders,
  manualOrder,
  openInboxQueue,
  type ProductEnvironment,
  postOrder,
  productEnvironment,
} from './helpers.js';

const run = promisify(execFile);
const kind = usingPostgres ? 'pg' : 'pglite';

async function waitAllProcessed(baseUrl: string, eventIds: string[], token?: string): Promise<void> {
  const ids = new Set(eventIds);
  await waitFor(
    async () => {
      const { events } = await inboxAndOrders(baseUrl, token);
      return events.filter((e) => ids.has(e.id) && e.status === 'processed').length === ids.size;
    },
    60_000,
    250,
  );
}

describe(`when the process gets SIGTERM with jobs in flight (${kind})`, () => {
  let env: ProductEnvironment | undefined;
  let proc: ProductProcess | undefined;
  afterEach(async () => {
    await ensureStopped(proc);
    await env?.cleanup();
  });

  it('finishes its active jobs, exits 0, and leaves nothing active to recover', {
    timeout: 180_000,
  }, async () => {
    env = await productEnvironment(kind, { WORKER_CONCURRENCY: '4' });
    const port = await freePort();
    proc = spawnProduct({ command: { tsx: 'src/main.ts' }, port, env: env.env });
    await proc.waitHealthy(60_000);

    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => postOrder(proc?.baseUrl ?? '', manualOrder(`term-${i}`))),
    );
    const eventIds = await Promise.all(
      responses.map(async (res) => {
        expect(res.status).toBe(202);
        return ((await res.json()) as { eventId: string }).eventId;
      }),
    );
    proc.kill('SIGTERM');
    const exit = await proc.exited;
    expect({ ...exit, output: exit.code === 0 ? '' : proc.output().slice(-3000) }).toEqual({
      code: 0,
      signal: null,
      output: '',
    });
    expect(proc.output()).toContain('"msg":"stopped"');

    // Jobs it had started were finished, not abandoned: no job is left holding a dead worker's lock.
    const inbox = await openInboxQueue(env.prefix);
    try {
      expect(await inbox.queue.getActiveCount()).toBe(0);
    } finally {
      await inbox.close();
    }

    proc = spawnProduct({ command: { tsx: 'src/main.ts' }, port, env: env.env });
    await proc.waitHealthy(60_000);
    await waitAllProcessed(proc.baseUrl, eventIds);
    const { orderTotal, eventTotal } = await inboxAndOrders(proc.baseUrl);
    expect({ orderTotal, eventTotal }).toEqual({ orderTotal: 40, eventTotal: 40 });
  });
});

describe('when `npm start` runs on a fresh DATA_DIR with no DATABASE_URL or REDIS_URL', () => {
  let env: ProductEnvironment | undefined;
  let proc: ProductProcess | undefined;
  afterEach(async () => {
    await ensureStopped(proc);
    await env?.cleanup();
  });

  it('boots on PGlite, answers /healthz, takes an order with its generated admin token, and stops on SIGTERM', {
    timeout: 180_000,
  }, async () => {
    env = await productEnvironment('pglite');
    const port = await freePort();
    proc = spawnProduct({
      command: { npm: ['start', '--silent'] },
      port,
      env: {
        ...env.env,
        NODE_ENV: 'development',
        DATABASE_URL: undefined,
        REDIS_URL: undefined,
        ADMIN_TOKEN: undefined,
      },
    });
    await proc.waitHealthy(60_000);
    const ready = await fetch(`${proc.baseUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });

    const token = (await readFile(path.join(env.dataDir, 'admin-token'), 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(proc.output()).toContain(token);
    await access(path.join(env.dataDir, 'pglite'));

    const res = await postOrder(proc.baseUrl, manualOrder('npm-start-1'), 'key-npm-start-1', token);
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    await waitAllProcessed(proc.baseUrl, [eventId], token);
    const orders = await adminGet<{ total: number }>(proc.baseUrl, '/admin/orders?channel=manual', token);
    expect(orders.total).toBe(1);
    // Where to go next, once ready: the API reference and the job dashboard.
    expect(proc.output()).toContain(`ordergate is ready on ${proc.baseUrl}`);
    expect(proc.output()).toContain(`${proc.baseUrl}/docs`);
    expect(proc.output()).toContain(`${proc.baseUrl}/admin/queues`);

    // npm itself dies of the signal it relays; what counts is that the product shut down cleanly.
    proc.kill('SIGTERM');
    await proc.closed;
    expect(proc.output()).toContain('"msg":"stopped"');
    expect(proc.output()).not.toMatch(/shutdown timed out|error while stopping/);
  });
});

describe.skipIf(!usingPostgres)(
  'when the Procfile web and worker run the built JS against one Postgres',
  () => {
    let env: ProductEnvironment | undefined;
    let web: ProductProcess | undefined;
    let worker: ProductProcess | undefined;
    beforeAll(async () => {
      await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, timeout: 170_000 });
    }, 180_000);
    afterEach(async () => {
      await ensureStopped(web);
      await ensureStopped(worker);
      await env?.cleanup();
    });

    it('the gateway acknowledges an order and the separate worker process turns it into one', {
      timeout: 120_000,
    }, async () => {
      const procfile = procfileCommands(REPO_ROOT);
      expect(Object.keys(procfile).sort()).toEqual(['web', 'worker']);
      /** The arguments after `node`: V8/Node flags, then the built entry point. */
      const nodeArgs = (role: string) => {
        const [binary, ...args] = procfile[role] ?? [];
        expect(binary).toBe('node');
        const file = args.at(-1) ?? '';
        expect(file).toMatch(/^dist\/src\/\w+\.js$/);
        expect(args.slice(0, -1).every((arg) => arg.startsWith('--'))).toBe(true);
        return args;
      };
      for (const role of ['web', 'worker']) await access(path.join(REPO_ROOT, nodeArgs(role).at(-1) ?? ''));

      env = await productEnvironment('pg', { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
      const webPort = await freePort();
      web = spawnProduct({ command: { node: nodeArgs('web') }, port: webPort, env: env.env });
      // The worker serves no HTTP; its port is only what PORT would be.
      worker = spawnProduct({ command: { node: nodeArgs('worker') }, port: await freePort(), env: env.env });
      await web.waitHealthy(60_000);
      await waitFor(() => worker?.output().includes('"msg":"workers started"'), 60_000, 100).catch(() => {
        throw new Error(`worker did not start:\n${worker?.output().slice(-3000)}`);
      });
      expect(web.output()).not.toContain('"msg":"workers started"');

      const res = await postOrder(web.baseUrl, manualOrder('procfile-1'));
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      await waitAllProcessed(web.baseUrl, [eventId]);
      expect((await inboxAndOrders(web.baseUrl)).orderTotal).toBe(1);

      web.kill('SIGTERM');
      worker.kill('SIGTERM');
      expect(await web.exited).toEqual({ code: 0, signal: null });
      expect(await worker.exited).toEqual({ code: 0, signal: null });
    });
  },
);
