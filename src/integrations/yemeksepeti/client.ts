import { z } from 'zod';
import type { Config } from '../../config.js';
import { AppError, RuleViolation } from '../../lib/errors.js';
import { OAuthClientCredentials } from '../oauth.js';
import type { YsItemStatus, YsOutboundStatus } from './mapping.js';

/** `PUT /v2/chains/{chain_id}/orders/{order_id}` body. */
export interface YsOrderUpdate {
  order_id: string;
  status: YsOutboundStatus;
  items?: { _id?: string | null; sku?: string | null; status: YsItemStatus }[];
  cancellation?: { reason: string };
}

export interface VendorOrdersQuery {
  startTime: Date;
  endTime: Date;
  page: number;
  pageSize: number;
}

export interface VendorOrdersPage {
  /** Raw order bodies, validated by the ingest path like webhook bodies. */
  orders: unknown[];
  /** When the API says how many pages there are. */
  totalPages?: number;
}

/** The Yemeksepeti partner API as the gateway uses it. */
export interface YemeksepetiApi {
  updateOrder(chainId: string, body: YsOrderUpdate, options?: { idempotencyKey?: string }): Promise<void>;
  listVendorOrders(chainId: string, vendorId: string, query: VendorOrdersQuery): Promise<VendorOrdersPage>;
}

const vendorOrdersSchema = z.looseObject({
  orders: z.array(z.unknown()).nullish(),
  data: z.array(z.unknown()).nullish(),
  pagination: z.looseObject({ total_pages: z.number().int().nonnegative().nullish() }).nullish(),
  total_pages: z.number().int().nonnegative().nullish(),
});

export interface YemeksepetiClientOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

/** OAuth2 client credentials (token cached until it expires, refreshed once on 401) over providerRequest. */
export class YemeksepetiHttpClient implements YemeksepetiApi {
  private readonly base: string;
  private readonly oauth: OAuthClientCredentials;
  private readonly timeoutMs: number | undefined;

  constructor(options: YemeksepetiClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.oauth = new OAuthClientCredentials({
      provider: 'yemeksepeti',
      tokenUrl: `${this.base}/v2/oauth/token`,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  async updateOrder(
    chainId: string,
    body: YsOrderUpdate,
    options: { idempotencyKey?: string } = {},
  ): Promise<void> {
    // Only Yemeksepeti moves an order to DELIVERED. The type forbids it; this guards JS callers.
    if ((body.status as string) === 'DELIVERED') {
      throw new RuleViolation('never_set_delivered', 'only Yemeksepeti sets DELIVERED');
    }
    await this.oauth.authorizedRequest({
      method: 'PUT',
      url: `${this.base}/v2/chains/${encodeURIComponent(chainId)}/orders/${encodeURIComponent(body.order_id)}`,
      json: body,
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
    });
  }

  async listVendorOrders(
    chainId: string,
    vendorId: string,
    query: VendorOrdersQuery,
  ): Promise<VendorOrdersPage> {
    const url = new URL(
      `${this.base}/v2/chains/${encodeURIComponent(chainId)}/vendors/${encodeURIComponent(vendorId)}/orders`,
    );
    url.searchParams.set('start_time', query.startTime.toISOString());
    url.searchParams.set('end_time', query.endTime.toISOString());
    url.searchParams.set('page', String(query.page));
    url.searchParams.set('page_size', String(query.pageSize));
    const response = await this.oauth.authorizedRequest({
      method: 'GET',
      url,
      schema: vendorOrdersSchema,
      ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
    });
    const data = response.data;
    const totalPages = data.pagination?.total_pages ?? data.total_pages ?? undefined;
    return {
      orders: data.orders ?? data.data ?? [],
      ...(totalPages === undefined || totalPages === null ? {} : { totalPages }),
    };
  }
}

// One client per configuration, so the token cache outlives a single job.
const clients = new WeakMap<Config, YemeksepetiApi>();

/** The partner API client for `config`, or a non-retryable error naming what is not configured. */
export function yemeksepetiClient(config: Config): YemeksepetiApi {
  const cached = clients.get(config);
  if (cached) return cached;
  const missing = (
    ['YEMEKSEPETI_API_URL', 'YEMEKSEPETI_CLIENT_ID', 'YEMEKSEPETI_CLIENT_SECRET'] as const
  ).filter((key) => !config[key]);
  const { YEMEKSEPETI_API_URL: baseUrl, YEMEKSEPETI_CLIENT_ID: clientId } = config;
  const clientSecret = config.YEMEKSEPETI_CLIENT_SECRET;
  if (!baseUrl || !clientId || !clientSecret) {
    throw new AppError(
      'provider_rejected',
      `the Yemeksepeti partner API is not configured (${missing.join(', ')})`,
      {
        retryable: false,
      },
    );
  }
  const client = new YemeksepetiHttpClient({
    baseUrl,
    clientId,
    clientSecret,
    timeoutMs: config.YEMEKSEPETI_TIMEOUT_MS,
  });
  clients.set(config, client);
  return client;
}
