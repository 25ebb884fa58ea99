/**
 * The GoBiz order API: accept, cancel (reject) and food-prepared, over the shared outbound HTTP layer
 * (src/integrations/http.ts: timeouts, retry classification, Retry-After, OAuth2 client-credentials token
 * cache). Nothing here retries: the outbound queue does, with the product-wide policy.
 */
import type { Config } from '../../config.js';
import { AppError } from '../../lib/errors.js';
import { OAuthClientCredentials } from '../oauth.js';
import type { Fulfilment } from './mapping.js';

export const GOFOOD_PROVIDER = 'gofood';

export const rejectReasonCodes = [
  'HIGH_DEMAND',
  'RESTAURANT_CLOSED',
  'ITEMS_OUT_OF_STOCK',
  'OTHERS',
] as const;
export type RejectReasonCode = (typeof rejectReasonCodes)[number];

export interface GofoodOrderRef {
  outletId: string;
  fulfilment: Fulfilment;
  orderNumber: string;
}

export interface GoBizClient {
  accept(ref: GofoodOrderRef, idempotencyKey?: string): Promise<void>;
  reject(
    ref: GofoodOrderRef,
    reason: { code: RejectReasonCode; description: string },
    idempotencyKey?: string,
  ): Promise<void>;
  foodPrepared(ref: GofoodOrderRef, countryCode: string, idempotencyKey?: string): Promise<void>;
}

export interface GoBizClientOptions {
  apiUrl: string;
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

export class HttpGoBizClient implements GoBizClient {
  private readonly oauth: OAuthClientCredentials;
  private readonly apiUrl: string;
  private readonly timeoutMs: number | undefined;

  constructor(options: GoBizClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.oauth = new OAuthClientCredentials({
      provider: GOFOOD_PROVIDER,
      tokenUrl: `${options.oauthUrl.replace(/\/+$/, '')}/oauth2/token`,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  accept(ref: GofoodOrderRef, idempotencyKey?: string): Promise<void> {
    return this.put(ref, 'accepted', undefined, idempotencyKey);
  }

  reject(
    ref: GofoodOrderRef,
    reason: { code: RejectReasonCode; description: string },
    idempotencyKey?: string,
  ): Promise<void> {
    return this.put(
      ref,
      'cancelled',
      { cancel_reason_code: reason.code, cancel_reason_description: reason.description },
      idempotencyKey,
    );
  }

  foodPrepared(ref: GofoodOrderRef, countryCode: string, idempotencyKey?: string): Promise<void> {
    return this.put(ref, 'food-prepared', { country_code: countryCode }, idempotencyKey);
  }

  private async put(
    ref: GofoodOrderRef,
    action: 'accepted' | 'cancelled' | 'food-prepared',
    json: Record<string, unknown> | undefined,
    idempotencyKey: string | undefined,
  ): Promise<void> {
    const path = `/integrations/gofood/outlets/${encodeURIComponent(ref.outletId)}/v1/orders/${ref.fulfilment}/${encodeURIComponent(ref.orderNumber)}/${action}`;
    await this.oauth.authorizedRequest({
      method: 'PUT',
      url: `${this.apiUrl}${path}`,
      // GoBiz answers with a small JSON envelope we have no use for; a 2xx is the whole answer.
      expectEmpty: true,
      ...(json === undefined ? {} : { json }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
    });
  }
}

// One client (and so one token cache) per configuration, i.e. per process.
const clients = new WeakMap<Config, GoBizClient>();

/** The process's GoBiz client; a non-retryable error when the API is not configured. */
export function gobizClientFor(config: Config): GoBizClient {
  const existing = clients.get(config);
  if (existing) return existing;
  const { GOFOOD_API_URL, GOFOOD_OAUTH_URL, GOFOOD_CLIENT_ID, GOFOOD_CLIENT_SECRET } = config;
  if (!GOFOOD_API_URL || !GOFOOD_OAUTH_URL || !GOFOOD_CLIENT_ID || !GOFOOD_CLIENT_SECRET) {
    throw new AppError(
      'provider_rejected',
      'the GoBiz API is not configured (GOFOOD_API_URL, GOFOOD_OAUTH_URL, GOFOOD_CLIENT_ID, GOFOOD_CLIENT_SECRET)',
      { retryable: false },
    );
  }
  const client = new HttpGoBizClient({
    apiUrl: GOFOOD_API_URL,
    oauthUrl: GOFOOD_OAUTH_URL,
    clientId: GOFOOD_CLIENT_ID,
    clientSecret: GOFOOD_CLIENT_SECRET,
  });
  clients.set(config, client);
  return client;
}
