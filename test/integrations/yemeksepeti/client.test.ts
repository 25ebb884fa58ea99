import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { YemeksepetiHttpClient, type YsOrderUpdate } from '../../../src/integrations/yemeksepeti/client.js';
import { RuleViolation } from '../../../src/lib/errors.js';
import {
  FakeYemeksepeti,
  ORDER_UPDATE_ROUTE,
  YS_CLIENT_ID,
  YS_CLIENT_SECRET,
} from '../../support/fake-yemeksepeti.js';

let ys: FakeYemeksepeti;
let client: YemeksepetiHttpClient;
beforeEach(async () => {
  ys = new FakeYemeksepeti();
  await ys.start();
  client = new YemeksepetiHttpClient({
    baseUrl: ys.baseUrl,
    clientId: YS_CLIENT_ID,
    clientSecret: YS_CLIENT_SECRET,
    timeoutMs: 500,
  });
});
afterEach(async () => {
  await ys.close();
});

describe('YemeksepetiHttpClient', () => {
  describe('when two updates are sent', () => {
    it('asks for a token once (form-encoded client credentials) and reuses it', async () => {
      await client.updateOrder('c1', { order_id: 'o1', status: 'DISPATCHED' });
      await client.updateOrder('c1', {
        order_id: 'o2',
        status: 'CANCELLED',
        cancellation: { reason: 'Stok yok' },
      });
      expect(ys.oauth.tokenRequests).toBe(1);
      expect(ys.oauth.route.calls[0]?.body).toEqual({
        grant_type: 'client_credentials',
        client_id: YS_CLIENT_ID,
        client_secret: YS_CLIENT_SECRET,
      });
      expect(ys.updates.map((u) => [u.chainId, u.orderId, u.body.status])).toEqual([
        ['c1', 'o1', 'DISPATCHED'],
        ['c1', 'o2', 'CANCELLED'],
      ]);
    });
  });

  describe('when asked to set DELIVERED', () => {
    it('refuses with rule_never_set_delivered and sends nothing', async () => {
      const body = { order_id: 'o1', status: 'DELIVERED' } as unknown as YsOrderUpdate;
      await expect(client.updateOrder('c1', body)).rejects.toBeInstanceOf(RuleViolation);
      await expect(client.updateOrder('c1', body)).rejects.toMatchObject({
        code: 'rule_never_set_delivered',
      });
      expect(ys.provider.requestsTo('PUT', ORDER_UPDATE_ROUTE)).toHaveLength(0);
    });
  });

  describe('when the token is rejected even after a refresh', () => {
    it('fails as not retryable', async () => {
      ys.orders.handler = () => ({ status: 401, body: { error: 'invalid_token' } });
      await expect(client.updateOrder('c1', { order_id: 'o1', status: 'DISPATCHED' })).rejects.toMatchObject({
        retryable: false,
        httpStatus: 401,
      });
      expect(ys.oauth.tokenRequests).toBe(2);
    });
  });

  describe('when listing vendor orders', () => {
    it('sends the window and paging and returns the page with its page count', async () => {
      ys.setVendorOrders('c1', 'v1', [
        { order_id: 'a', status: 'RECEIVED' },
        { order_id: 'b', status: 'DISPATCHED' },
      ]);
      const page = await client.listVendorOrders('c1', 'v1', {
        startTime: new Date(Date.now() - 3600_000),
        endTime: new Date(),
        page: 2,
        pageSize: 1,
      });
      expect(page).toEqual({ orders: [{ order_id: 'b', status: 'DISPATCHED' }], totalPages: 2 });
    });
  });
});
