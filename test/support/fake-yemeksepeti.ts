/**
 * The Yemeksepeti partner API over real HTTP for tests, on the shared FakeProvider: the OAuth token
 * endpoint, `PUT /v2/chains/:chainId/orders/:orderId` and the paginated vendor order list. Faults are
 * injected per route (`orders.fail({status: 500})`, `{timeoutMs}`, `{status: 429, retryAfter: '1'}`) and
 * tokens expire on demand (`oauth.revokeAll()` → the next call gets 401).
 */
import { type FakeOAuth, FakeProvider, type FakeRequest, type FakeRoute } from './fake-provider.js';

export const YS_CLIENT_ID = 'ordergate-ys-client';
export const YS_CLIENT_SECRET = 'ys_secret_5f4e3d2c1b0a';

export const ORDER_UPDATE_ROUTE = '/v2/chains/:chainId/orders/:orderId';
export const VENDOR_ORDERS_ROUTE = '/v2/chains/:chainId/vendors/:vendorId/orders';

export interface ReceivedUpdate {
  chainId: string;
  orderId: string;
  body: Record<string, unknown>;
  idempotencyKey: string | undefined;
}

export class FakeYemeksepeti {
  readonly provider = new FakeProvider();
  readonly oauth: FakeOAuth;
  readonly orders: FakeRoute;
  readonly vendorOrders: FakeRoute;
  /** Updates answered 200, in arrival order. */
  readonly updates: ReceivedUpdate[] = [];
  /** Orders served by the vendor list, keyed by `${chainId}/${vendorId}`. */
  private readonly listed = new Map<string, unknown[]>();

  constructor() {
    this.oauth = this.provider.oauth({
      path: '/v2/oauth/token',
      clientId: YS_CLIENT_ID,
      clientSecret: YS_CLIENT_SECRET,
    });
    this.orders = this.provider.route(
      'PUT',
      ORDER_UPDATE_ROUTE,
      this.oauth.protect((req) => this.update(req)),
    );
    this.vendorOrders = this.provider.route(
      'GET',
      VENDOR_ORDERS_ROUTE,
      this.oauth.protect((req) => this.list(req)),
    );
  }

  start(port = 0): Promise<string> {
    return this.provider.start(port);
  }

  close(): Promise<void> {
    return this.provider.close();
  }

  get baseUrl(): string {
    return this.provider.baseUrl;
  }

  /** Env for startTestSystem pointing the gateway at this fake. */
  env(): Record<string, string> {
    return {
      YEMEKSEPETI_API_URL: this.baseUrl,
      YEMEKSEPETI_CLIENT_ID: YS_CLIENT_ID,
      YEMEKSEPETI_CLIENT_SECRET: YS_CLIENT_SECRET,
    };
  }

  /** The vendor's orders, as the list endpoint will serve them (filtered by sys.created_at when present). */
  setVendorOrders(chainId: string, vendorId: string, orders: unknown[]): void {
    this.listed.set(`${chainId}/${vendorId}`, orders);
  }

  updatesFor(orderId: string): ReceivedUpdate[] {
    return this.updates.filter((u) => u.orderId === orderId);
  }

  private update(req: FakeRequest) {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, body: { error: 'invalid_body', message: 'expected a JSON object' } };
    }
    const record = body as Record<string, unknown>;
    const status = record.status;
    if (record.order_id !== req.params.orderId) {
      return { status: 400, body: { error: 'order_id_mismatch' } };
    }
    if (!['READY_FOR_PICKUP', 'DISPATCHED', 'CANCELLED', 'UPDATE_CART'].includes(String(status))) {
      return {
        status: 400,
        body: { error: 'invalid_status', message: `status ${String(status)} is not allowed` },
      };
    }
    if (status === 'CANCELLED' && !(record.cancellation as { reason?: unknown } | undefined)?.reason) {
      return { status: 400, body: { error: 'cancellation_reason_required' } };
    }
    const key = req.headers['idempotency-key'];
    this.updates.push({
      chainId: req.params.chainId ?? '',
      orderId: req.params.orderId ?? '',
      body: record,
      idempotencyKey: typeof key === 'string' ? key : undefined,
    });
    return { body: { order_id: record.order_id, status } };
  }

  private list(req: FakeRequest) {
    const all = this.listed.get(`${req.params.chainId}/${req.params.vendorId}`) ?? [];
    const page = Number(req.query.page ?? '1');
    const pageSize = Number(req.query.page_size ?? '50');
    const start = Date.parse(req.query.start_time ?? '');
    const end = Date.parse(req.query.end_time ?? '');
    if (!Number.isFinite(start) || !Number.isFinite(end) || page < 1 || pageSize < 1) {
      return { status: 400, body: { error: 'invalid_query' } };
    }
    const inWindow = all.filter((order) => {
      const created = Date.parse(String((order as { sys?: { created_at?: string } }).sys?.created_at ?? ''));
      return !Number.isFinite(created) || (created >= start && created < end);
    });
    const totalPages = Math.max(1, Math.ceil(inWindow.length / pageSize));
    return {
      body: {
        orders: inWindow.slice((page - 1) * pageSize, page * pageSize),
        pagination: { page, page_size: pageSize, total_pages: totalPages, total_count: inWindow.length },
      },
    };
  }
}
