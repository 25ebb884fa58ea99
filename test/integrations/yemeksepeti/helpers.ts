import type { OrderDetailDto } from '../../../src/orders/dto.js';
import { FakeYemeksepeti } from '../../support/fake-yemeksepeti.js';
import { postJson, startTestSystem, type TestSystem, waitFor } from '../../support/system.js';
import { MARKET_STORE, MARKET_TOKEN, SU_STORE, SU_TOKEN } from './fixtures.js';

export interface YsHarness {
  system: TestSystem;
  ys: FakeYemeksepeti;
  stop(): Promise<void>;
}

/** The product with Yemeksepeti configured against a fake partner API, plus a Market and a Su warehouse. */
export async function startYs(
  env: Record<string, string> = {},
  roles: { worker?: boolean } = {},
): Promise<YsHarness> {
  const ys = new FakeYemeksepeti();
  await ys.start();
  const system = await startTestSystem({
    ...roles,
    env: {
      YEMEKSEPETI_MARKET_TOKEN: MARKET_TOKEN,
      YEMEKSEPETI_SU_TOKEN: SU_TOKEN,
      YEMEKSEPETI_TIMEOUT_MS: '500',
      ...ys.env(),
      ...env,
    },
  });
  await putJson(system, '/admin/warehouses/IST-KDK', {
    category: 'market',
    name: 'Kadıköy Market Deposu',
    externalStoreIds: [MARKET_STORE],
  });
  await putJson(system, '/admin/warehouses/IST-USK-SU', {
    category: 'su',
    name: 'Üsküdar Su Deposu',
    externalStoreIds: [SU_STORE],
  });
  await setStock(system, 'IST-KDK', { 'SU-19L': 50, 'PEYNIR-KG': 10_000 });
  return {
    system,
    ys,
    stop: async () => {
      await system.stop();
      await ys.close();
    },
  };
}

export async function putJson(system: TestSystem, path: string, body: unknown): Promise<Response> {
  const res = await system.admin(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300 && res.status !== 409)
    throw new Error(`PUT ${path} → ${res.status} ${await res.text()}`);
  return res;
}

export async function setStock(
  system: TestSystem,
  code: string,
  levels: Record<string, number>,
): Promise<void> {
  await putJson(system, `/admin/warehouses/${code}/stock`, {
    items: Object.entries(levels).map(([sku, onHand]) => ({ sku, onHand })),
  });
}

export function sendYs(
  system: TestSystem,
  body: unknown,
  token: string | null = MARKET_TOKEN,
  path = '/api/v2/yemeksepeti/order/create',
): Promise<Response> {
  return postJson(
    `${system.baseUrl}${path}`,
    body,
    token === null ? {} : { authorization: `Bearer ${token}` },
  );
}

export function adminPost(system: TestSystem, path: string, body?: unknown): Promise<Response> {
  return system.admin(path, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

export async function orderIdFor(system: TestSystem, externalOrderId: string): Promise<string> {
  const row = await waitFor(() =>
    system.db
      .selectFrom('orders')
      .select('id')
      .where('channel', '=', 'yemeksepeti')
      .where('external_order_id', '=', externalOrderId)
      .executeTakeFirst(),
  );
  return row.id;
}

export async function detail(system: TestSystem, id: string): Promise<OrderDetailDto> {
  const res = await system.admin(`/admin/orders/${id}`);
  if (res.status !== 200) throw new Error(`order ${id}: ${res.status}`);
  return (await res.json()) as OrderDetailDto;
}

/** Waits until the inbox event is finished (processed / attention / dead) and returns it. */
export async function finishedEvent(system: TestSystem, eventId: string) {
  return waitFor(async () => {
    const event = await system.db
      .selectFrom('inbound_events')
      .selectAll()
      .where('id', '=', eventId)
      .executeTakeFirst();
    return event && ['processed', 'attention', 'dead'].includes(event.status) ? event : undefined;
  });
}

/** Posts a body and waits for its event to finish. */
export async function deliver(
  system: TestSystem,
  body: unknown,
  token: string = MARKET_TOKEN,
  path?: string,
) {
  const res = await sendYs(system, body, token, path);
  if (res.status !== 202 && res.status !== 200)
    throw new Error(`webhook → ${res.status} ${await res.text()}`);
  const { eventId } = (await res.json()) as { eventId: string };
  return finishedEvent(system, eventId);
}

/** Waits until the order's timeline has an entry matching `predicate`. */
export async function waitForTimeline(
  system: TestSystem,
  id: string,
  predicate: (entry: OrderDetailDto['timeline'][number]) => boolean,
): Promise<OrderDetailDto> {
  return waitFor(async () => {
    const d = await detail(system, id);
    return d.timeline.some(predicate) ? d : undefined;
  });
}
