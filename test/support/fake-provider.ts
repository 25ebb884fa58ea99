/**
 * A real HTTP server standing in for a provider API in tests: routes with `:params`, a request log to
 * assert on, one-shot fault injection per route and an OAuth2 client-credentials token endpoint.
 *
 *   const fake = new FakeProvider();
 *   const baseUrl = await fake.start();
 *   const oauth = fake.oauth({ path: '/v2/oauth/token', clientId: 'id', clientSecret: 'secret' });
 *   const orders = fake.route('PUT', '/v2/chains/:chainId/orders/:orderId', oauth.protect(() => ({ body: {} })));
 *   orders.fail({ status: 503, retryAfter: '2' }, { timeoutMs: Number.POSITIVE_INFINITY });
 *   ...
 *   await fake.close();
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Node lower-cases header names. */
  headers: IncomingHttpHeaders;
  /** Values of the route's `:params`; empty when no route matched. */
  params: Record<string, string>;
  /** Parsed JSON or form body (form → record of strings); the raw text when neither; undefined when empty. */
  body: unknown;
  rawBody: string;
  /** The pattern of the route that matched, if any. */
  route?: string;
}

export interface FakeResponse {
  /** Defaults to 200, or 204 when there is no body. */
  status?: number;
  /** Objects are sent as JSON, strings as text/plain (unless headers say otherwise). */
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (req: FakeRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

/**
 * One-shot fault, consumed by the next request to its route. Applied in order: hold the request
 * `timeoutMs` (Infinity = never answer), then `reset` the connection, or answer `status` instead of the
 * handler. A fault with only `timeoutMs` delays the handler's normal answer.
 */
export interface Fault {
  timeoutMs?: number;
  reset?: boolean;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as the Retry-After header (seconds or an HTTP-date). */
  retryAfter?: string;
}

export class FakeRoute {
  readonly method: string;
  readonly pattern: string;
  /** Every request that matched this route, faulted ones included. */
  readonly calls: FakeRequest[] = [];
  handler: FakeHandler;
  private readonly regex: RegExp;
  private readonly keys: string[];
  private readonly faults: Fault[] = [];

  constructor(method: string, pattern: string, handler: FakeHandler) {
    this.method = method.toUpperCase();
    this.pattern = pattern;
    this.handler = handler;
    this.keys = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          this.keys.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.regex = new RegExp(`^${source}/?$`);
  }

  /** Queues one-shot faults; each is used by one request, in order. */
  fail(...faults: Fault[]): this {
    this.faults.push(...faults);
    return this;
  }

  get pendingFaults(): number {
    return this.faults.length;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** @internal */
  match(method: string, path: string): Record<string, string> | undefined {
    if (method !== this.method) return undefined;
    const found = this.regex.exec(path);
    if (!found) return undefined;
    const params: Record<string, string> = {};
    this.keys.forEach((key, index) => {
      params[key] = decodeURIComponent(found[index + 1] ?? '');
    });
    return params;
  }

  /** @internal */
  nextFault(): Fault | undefined {
    return this.faults.shift();
  }
}

export interface FakeOAuthOptions {
  /** Defaults to /oauth/token. */
  path?: string;
  clientId: string;
  clientSecret: string;
  /** Seconds; defaults to 3600. Changeable later through `expiresIn`. */
  expiresIn?: number;
}

export class FakeOAuth {
  readonly route: FakeRoute;
  /** expires_in (seconds) of tokens issued from now on. */
  expiresIn: number;
  /** Every token ever issued, oldest first. */
  readonly issued: string[] = [];
  /** Requests refused by `protect` for a missing, expired or revoked token. */
  rejected = 0;
  private readonly valid = new Map<string, number>();
  private readonly options: FakeOAuthOptions;

  constructor(provider: FakeProvider, options: FakeOAuthOptions) {
    this.options = options;
    this.expiresIn = options.expiresIn ?? 3600;
    this.route = provider.route('POST', options.path ?? '/oauth/token', (req) => this.issue(req));
  }

  /** Token requests received, failed and faulted ones included. */
  get tokenRequests(): number {
    return this.route.calls.length;
  }

  /** Makes every token issued so far invalid: the next API call with one gets 401. */
  revokeAll(): void {
    this.valid.clear();
  }

  isValid(token: string | undefined): boolean {
    if (token === undefined) return false;
    const expiresAt = this.valid.get(token);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  /** Wraps a handler so it answers 401 unless the request carries a valid Bearer token. */
  protect(handler: FakeHandler): FakeHandler {
    return (req) => {
      const header = req.headers.authorization;
      const token = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1] : undefined;
      if (!this.isValid(token)) {
        this.rejected++;
        return {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
          body: { error: 'invalid_token' },
        };
      }
      return handler(req);
    };
  }

  private issue(req: FakeRequest): FakeResponse {
    const form = isRecord(req.body) ? req.body : {};
    if (form.grant_type !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    let clientId = form.client_id;
    let clientSecret = form.client_secret;
    const basic = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (clientId !== this.options.clientId || clientSecret !== this.options.clientSecret) {
      return { status: 401, body: { error: 'invalid_client' } };
    }
    const token = `tok_${randomBytes(16).toString('hex')}`;
    this.issued.push(token);
    this.valid.set(token, Date.now() + this.expiresIn * 1000);
    return { body: { access_token: token, token_type: 'Bearer', expires_in: this.expiresIn } };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FakeProvider {
  /** Every request received, matched or not, in arrival order. */
  readonly requests: FakeRequest[] = [];
  private readonly routes: FakeRoute[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: Server;
  private url: string | undefined;

  constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'fake_provider_error', message: String(err) }));
        }
      });
    });
  }

  /**
   * Starts listening on 127.0.0.1 on `listenPort` (0, the default: a free port); returns the base URL (no
   * trailing slash).
   */
  async start(listenPort = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(listenPort, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  get baseUrl(): string {
    if (this.url === undefined) throw new Error('FakeProvider is not started');
    return this.url;
  }

  /** Registers (or replaces the handler of) a route; `:name` segments become `params.name`. */
  route(method: string, pattern: string, handler: FakeHandler): FakeRoute {
    const existing = this.findRoute(method, pattern);
    if (existing) {
      existing.handler = handler;
      return existing;
    }
    const route = new FakeRoute(method, pattern, handler);
    this.routes.push(route);
    return route;
  }

  /** Queues one-shot faults on a registered route. */
  fail(method: string, pattern: string, ...faults: Fault[]): FakeRoute {
    const route = this.findRoute(method, pattern);
    if (!route) throw new Error(`no fake route ${method} ${pattern}`);
    return route.fail(...faults);
  }

  /** Requests that matched the route registered with exactly this method and pattern. */
  requestsTo(method: string, pattern: string): FakeRequest[] {
    return this.findRoute(method, pattern)?.calls ?? [];
  }

  oauth(options: FakeOAuthOptions): FakeOAuth {
    return new FakeOAuth(this, options);
  }

  /** Forgets logged requests and queued faults; routes stay. */
  reset(): void {
    this.requests.length = 0;
    for (const route of this.routes) {
      route.calls.length = 0;
      route.clearFaults();
    }
  }

  /** Stops at once: open and held connections are destroyed, pending holds are cancelled. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private findRoute(method: string, pattern: string): FakeRoute | undefined {
    const upper = method.toUpperCase();
    return this.routes.find((route) => route.method === upper && route.pattern === pattern);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const request: FakeRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      params: {},
      body: parseBody(rawBody, req.headers['content-type']),
      rawBody,
    };
    this.requests.push(request);

    let route: FakeRoute | undefined;
    for (const candidate of this.routes) {
      const params = candidate.match(method, url.pathname);
      if (params) {
        route = candidate;
        request.params = params;
        request.route = candidate.pattern;
        break;
      }
    }
    if (!route) {
      write(res, {
        status: 404,
        body: { error: 'not_found', message: `no fake route for ${method} ${url.pathname}` },
      });
      return;
    }
    route.calls.push(request);

    const fault = route.nextFault();
    if (fault?.timeoutMs !== undefined) {
      if (!Number.isFinite(fault.timeoutMs)) return; // never answer; close() destroys the socket
      await this.sleep(fault.timeoutMs);
      if (res.destroyed) return;
    }
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      const headers = { ...fault.headers };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      write(res, {
        status: fault.status,
        body: fault.body ?? { error: `injected ${fault.status}` },
        headers,
      });
      return;
    }
    const answer = await route.handler(request);
    if (!res.destroyed) write(res, answer ?? {});
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  if (type.includes('json')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function write(res: ServerResponse, answer: FakeResponse): void {
  const headers: Record<string, string> = { ...answer.headers };
  const hasType = Object.keys(headers).some((key) => key.toLowerCase() === 'content-type');
  let payload: string | Buffer | undefined;
  if (answer.body === undefined) {
    payload = undefined;
  } else if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) {
    payload = answer.body;
    if (!hasType) headers['content-type'] = 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify(answer.body);
    if (!hasType) headers['content-type'] = 'application/json';
  }
  const status = answer.status ?? (payload === undefined ? 204 : 200);
  res.writeHead(status, headers);
  res.end(payload);
}
