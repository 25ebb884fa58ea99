import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder } from '../../src/orders/create.js';
import { startTestSystem, type TestSystem } from '../support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ worker: false });
});
afterAll(async () => {
  await system?.stop();
});

async function orderWithItems(count: number): Promise<string> {
  const { order } = await createOrder(system.db, {
    input: {
      channel: 'manual',
      externalOrderId: `items-${randomUUID()}`,
      currency: 'TRY',
      items: Array.from({ length: count }, (_, i) => ({
        sku: `SKU-${i + 1}`,
        name: `item ${i + 1}`,
        quantity: 1,
        unitPrice: 100,
      })),
      actor: 'test',
    },
    announce: false,
  });
  return order.id;
}

interface ItemsPage {
  data: { lineNo: number }[];
  page: number;
  limit: number;
  total: number;
}
interface Detail {
  items: { lineNo: number }[];
  itemsPage: { limit: number; total: number; next: string | null };
}

const json = async <T>(res: Response): Promise<T> => {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
};
const lineNos = (items: { lineNo: number }[]) => items.map((i) => i.lineNo);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('when an order has 250 items', () => {
  let id: string;
  beforeAll(async () => {
    id = await orderWithItems(250);
  });

  it('answers its detail with the first 100 items, their total and the link to the next page', async () => {
    const detail = await json<Detail>(await system.admin(`/admin/orders/${id}`));
    expect(lineNos(detail.items)).toEqual(range(1, 100));
    expect(detail.itemsPage).toEqual({
      limit: 100,
      total: 250,
      next: `/admin/orders/${id}/items?page=2&limit=100`,
    });
  });

  it('lists it with its first 20 items and the link to the rest, and a small order with all of its own', async () => {
    const small = await orderWithItems(3);
    const list = await json<{ data: ({ id: string } & Detail)[] }>(
      await system.admin(`/admin/orders?channel=manual&limit=200`),
    );
    const big = list.data.find((o) => o.id === id);
    expect(lineNos(big?.items ?? [])).toEqual(range(1, 20));
    expect(big?.itemsPage).toEqual({
      limit: 20,
      total: 250,
      next: `/admin/orders/${id}/items?page=2&limit=20`,
    });
    const few = list.data.find((o) => o.id === small);
    expect(lineNos(few?.items ?? [])).toEqual(range(1, 3));
    expect(few?.itemsPage).toEqual({ limit: 20, total: 3, next: null });
  });

  it('serves the rest page by page from the next link, in line order', async () => {
    const detail = await json<Detail>(await system.admin(`/admin/orders/${id}`));
    const second = await json<ItemsPage>(await system.admin(detail.itemsPage.next ?? ''));
    expect(second).toMatchObject({ page: 2, limit: 100, total: 250 });
    expect(lineNos(second.data)).toEqual(range(101, 200));
    const third = await json<ItemsPage>(await system.admin(`/admin/orders/${id}/items?page=3&limit=100`));
    expect(lineNos(third.data)).toEqual(range(201, 250));
    const past = await json<ItemsPage>(await system.admin(`/admin/orders/${id}/items?page=4&limit=100`));
    expect(past.data).toEqual([]);
  });

  it('serves every item on one page when asked for up to 500', async () => {
    const all = await json<ItemsPage>(await system.admin(`/admin/orders/${id}/items?limit=500`));
    expect(lineNos(all.data)).toEqual(range(1, 250));
  });
});

describe('when the operator console shows an order with 250 items', () => {
  it('shows the first 100 with their count, and the rest page by page', async () => {
    const id = await orderWithItems(250);
    const html = async (query: string) => {
      const res = await system.admin(`/admin/console/orders/${id}${query}`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const first = await html('');
    expect(first).toContain('items 1–100 of 250');
    expect(first).toContain(`href="/admin/console/orders/${id}?items=2"`);
    expect(first).toContain('<code>SKU-100</code>');
    expect(first).not.toContain('<code>SKU-101</code>');
    const last = await html('?items=3');
    expect(last).toContain('items 201–250 of 250');
    expect(last).toContain('<code>SKU-250</code>');
    expect(last).not.toContain('<code>SKU-200</code>');
    expect(last).not.toContain('?items=4');
  });
});

describe('when an order has no more items than the first page', () => {
  it('inlines them all and has no next page', async () => {
    const id = await orderWithItems(3);
    const detail = await json<Detail>(await system.admin(`/admin/orders/${id}`));
    expect(lineNos(detail.items)).toEqual([1, 2, 3]);
    expect(detail.itemsPage).toEqual({ limit: 100, total: 3, next: null });
  });
});

describe('when the items page is asked for out of bounds', () => {
  it('refuses a limit over 500, a page below 1 and a page past the offset cap with 400', async () => {
    const id = await orderWithItems(1);
    for (const query of ['limit=501', 'limit=0', 'page=0', 'page=102&limit=100', 'offset=5']) {
      const res = await system.admin(`/admin/orders/${id}/items?${query}`);
      expect(res.status, query).toBe(400);
    }
  });

  it('answers 404 for an order that does not exist and 400 for an id that is not a uuid', async () => {
    expect((await system.admin(`/admin/orders/${randomUUID()}/items`)).status).toBe(404);
    expect((await system.admin('/admin/orders/not-a-uuid/items')).status).toBe(400);
  });

  it('answers 401 without credentials', async () => {
    const id = await orderWithItems(1);
    expect((await fetch(`${system.baseUrl}/admin/orders/${id}/items`)).status).toBe(401);
  });
});
