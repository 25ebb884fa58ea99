/**
 * OneBasket in tests: signed basket events, and fake provider systems (real HTTP, FakeProvider underneath
 * for fault injection) implementing the provider API of docs/onebasket.md, each with its own behaviour.
 */
import { randomUUID } from 'node:crypto';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { FakeProvider, type FakeRoute } from './fake-provider.js';
import { postJson, type TestSystem } from './system.js';

export const ONEBASKET_SECRET = 'onebasket-webhook-secret-0123456789';
export const ONEBASKET_API_TOKEN = 'onebasket-api-token-0123456789';
export const onebasketEnv = { ONEBASKET_WEBHOOK_SECRET: ONEBASKET_SECRET, ONEBASKET_API_TOKEN };

export interface ItemSpec {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export interface BasketSpec {
  id: string;
  providers: Record<string, ItemSpec[]>;
  paymentIntent?: { id: string; amount: number };
}

export function basketEvent(
  type: string,
  basket: BasketSpec,
  options: { eventId?: string; occurredAt?: Date } = {},
) {
  return {
    eventId: options.eventId ?? randomUUID(),
    type,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    basket: {
      id: basket.id,
      customer: { id: 'cust-1', name: 'Ayşe Yılmaz', email: 'ayse@example.com', phone: '+905551112233' },
      currency: 'EUR',
      providerBaskets: Object.entries(basket.providers).map(([providerId, items]) => ({ providerId, items })),
      ...(basket.paymentIntent ? { paymentIntent: basket.paymentIntent } : {}),
      someFieldWeDoNotKnow: { nested: true },
    },
  };
}

export function signOnebasket(body: string, secret = ONEBASKET_SECRET): string {
  return `sha256=${hmacSha256Hex(secret, body)}`;
}

export function sendBasketEvent(
  system: TestSystem,
  event: unknown,
  signature?: string | null,
): Promise<Response> {
  const body = JSON.stringify(event);
  const sig = signature === undefined ? signOnebasket(body) : signature;
  return postJson(
    `${system.baseUrl}/webhooks/onebasket`,
    body,
    sig === null ? {} : { 'x-onebasket-signature': sig },
  );
}

/** What a fake provider system does with our calls. */
export interface ProviderBehaviour {
  lock: 'grant' | 'refuse';
  order: 'confirm' | 'pending' | 'reject';
  supportsCallbacks: boolean;
}

export class FakeProviderSystem {
  readonly id: string;
  readonly token: string;
  readonly http = new FakeProvider();
  behaviour: ProviderBehaviour;
  locks!: FakeRoute;
  releases!: FakeRoute;
  orders!: FakeRoute;

  constructor(id: string, behaviour: ProviderBehaviour) {
    this.id = id;
    this.token = `callback-token-${id}-0123456789abcdef`;
    this.behaviour = behaviour;
  }

  async start(): Promise<this> {
    await this.http.start();
    this.locks = this.http.route('POST', '/basket-locks', () =>
      this.behaviour.lock === 'grant'
        ? { status: 200, body: { locked: true } }
        : { status: 409, body: { reason: 'out of stock' } },
    );
    this.releases = this.http.route('DELETE', '/basket-locks/:basketId', () => ({ status: 204 }));
    this.orders = this.http.route('POST', '/orders', (req) => {
      const body = req.body as { providerOrderId: string };
      if (this.behaviour.order === 'reject') return { status: 422, body: { reason: 'kitchen closed' } };
      return {
        status: 201,
        body: {
          externalRef: `${this.id}-${body.providerOrderId.slice(0, 8)}`,
          status: this.behaviour.order === 'confirm' ? 'confirmed' : 'pending',
        },
      };
    });
    return this;
  }

  async register(system: TestSystem): Promise<void> {
    const res = await system.admin(`/admin/providers/${this.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `Provider ${this.id}`,
        baseUrl: this.http.baseUrl,
        callbackToken: this.token,
        supportsCallbacks: this.behaviour.supportsCallbacks,
      }),
    });
    if (res.status !== 200) throw new Error(`registering ${this.id}: ${res.status} ${await res.text()}`);
  }

  /** The provider order id we sent this provider (from its `POST /orders` calls). */
  providerOrderIds(): string[] {
    return [
      ...new Set(this.orders.calls.map((c) => (c.body as { providerOrderId: string }).providerOrderId)),
    ];
  }

  callback(
    system: TestSystem,
    providerOrderId: string,
    type: string,
    options: { eventId?: string; reason?: string; token?: string } = {},
  ): Promise<Response> {
    return postJson(
      `${system.baseUrl}/webhooks/providers/${this.id}/events`,
      {
        eventId: options.eventId ?? randomUUID(),
        providerOrderId,
        type,
        occurredAt: new Date().toISOString(),
        ...(options.reason ? { reason: options.reason } : {}),
      },
      { authorization: `Bearer ${options.token ?? this.token}` },
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
