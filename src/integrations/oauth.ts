/** OAuth2 client-credentials tokens for provider clients, on the one outbound HTTP layer (`http.ts`). */
import { z } from 'zod';
import { basicAuthHeader, type ProviderRequestBase, type ProviderResponse, providerRequest } from './http.js';
import { ProviderError } from './provider-error.js';

export interface OAuthClientCredentialsOptions {
  provider: string;
  /** Full token endpoint URL, e.g. https://partner.example.com/v2/oauth/token. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  timeoutMs?: number;
  /** Extra form fields for providers that want them (e.g. audience). */
  extraForm?: Record<string, string>;
  /** 'body' (default): client_id/client_secret in the form; 'basic': HTTP basic auth. */
  clientAuth?: 'body' | 'basic';
  /** Lifetime assumed when the token response has no expires_in. Defaults to 300 s. */
  defaultExpiresInSec?: number;
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).nullish(),
  token_type: z.string().nullish(),
});

/** Requests made through an OAuth client; `provider` defaults to the client's. */
export type AuthorizedRequestBase = Omit<ProviderRequestBase, 'provider'> & { provider?: string };

/** Refresh this long before expiry: 10% of the lifetime, at most 30 s. */
function safetyMarginMs(lifetimeMs: number): number {
  return Math.min(30_000, lifetimeMs * 0.1);
}

/**
 * OAuth2 client-credentials tokens for one provider account: cached until shortly before expiry, one token
 * request in flight at a time however many callers ask, and one transparent retry when the API says 401.
 */
export class OAuthClientCredentials {
  private readonly options: OAuthClientCredentialsOptions;
  private cached: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  /** Bumped by invalidate() so a token request started before it is not cached after it. */
  private generation = 0;

  constructor(options: OAuthClientCredentialsOptions) {
    this.options = options;
  }

  get provider(): string {
    return this.options.provider;
  }

  getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (this.inflight) return this.inflight;
    const generation = this.generation;
    const request: Promise<string> = this.requestToken()
      .then(({ token, refreshAt }) => {
        if (generation === this.generation) this.cached = { token, refreshAt };
        return token;
      })
      .finally(() => {
        if (this.inflight === request) this.inflight = undefined;
      });
    this.inflight = request;
    return request;
  }

  /**
   * Forgets the cached token. With `token`, only if it is still the cached one, so many callers that saw
   * the same 401 cause one refresh, not one each.
   */
  invalidate(token?: string): void {
    if (token !== undefined) {
      if (this.cached?.token !== token) return;
      this.cached = undefined;
      this.generation++;
      return;
    }
    this.cached = undefined;
    this.inflight = undefined;
    this.generation++;
  }

  authorizedRequest<T>(
    opts: AuthorizedRequestBase & { schema: z.ZodType<T>; expectEmpty?: false },
  ): Promise<ProviderResponse<T>>;
  authorizedRequest(
    opts: AuthorizedRequestBase & { expectEmpty: true; schema?: undefined },
  ): Promise<ProviderResponse<undefined>>;
  authorizedRequest(
    opts: AuthorizedRequestBase & { schema?: undefined; expectEmpty?: boolean },
  ): Promise<ProviderResponse<unknown>>;
  async authorizedRequest(
    opts: AuthorizedRequestBase & { schema?: z.ZodType<unknown>; expectEmpty?: boolean },
  ): Promise<ProviderResponse<unknown>> {
    const attempt = (token: string) => {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(opts.headers ?? {})) {
        if (key.toLowerCase() !== 'authorization') headers[key] = value;
      }
      headers.authorization = `Bearer ${token}`;
      return providerRequest({ ...opts, provider: opts.provider ?? this.options.provider, headers });
    };

    const first = await this.getToken();
    try {
      return await attempt(first);
    } catch (err) {
      if (!(err instanceof ProviderError) || err.httpStatus !== 401) throw err;
      this.invalidate(first);
    }
    const second = await this.getToken();
    try {
      return await attempt(second);
    } catch (err) {
      if (!(err instanceof ProviderError) || err.httpStatus !== 401) throw err;
      throw new ProviderError({
        provider: err.provider,
        method: err.method,
        path: err.path,
        reason: 'http',
        httpStatus: 401,
        retryable: false,
        message: `${err.message} even with a freshly issued token`,
        cause: err,
        ...(err.responseBody === undefined ? {} : { responseBody: err.responseBody }),
      });
    }
  }

  private async requestToken(): Promise<{ token: string; refreshAt: number }> {
    const { provider, tokenUrl, clientId, clientSecret, scope, extraForm, clientAuth } = this.options;
    const form: Record<string, string> = { grant_type: 'client_credentials' };
    const headers: Record<string, string> = {};
    if (clientAuth === 'basic') {
      headers.authorization = basicAuthHeader(encodeURIComponent(clientId), encodeURIComponent(clientSecret));
    } else {
      form.client_id = clientId;
      form.client_secret = clientSecret;
    }
    if (scope !== undefined) form.scope = scope;
    Object.assign(form, extraForm);

    const requestedAt = Date.now();
    const response = await providerRequest({
      provider,
      method: 'POST',
      url: tokenUrl,
      headers,
      form,
      schema: tokenResponseSchema,
      redact: [clientSecret],
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
    });
    const lifetimeMs = (response.data.expires_in ?? this.options.defaultExpiresInSec ?? 300) * 1000;
    // Measured from before the request: the token's clock started no later than that.
    return {
      token: response.data.access_token,
      refreshAt: requestedAt + lifetimeMs - safetyMarginMs(lifetimeMs),
    };
  }
}
