import { randomUUID } from 'node:crypto';
import { basketEvent, type FakeProviderSystem, signOnebasket } from '../../test/support/fake-onebasket.js';
import type { Demo } from '../lib.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(demo: Demo, event: { basket: unknown }): Promise<number> {
  const body = JSON.stringify(event);
  const res = await fetch(`${demo.base}/webhooks/onebasket`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-onebasket-signature': signOnebasket(body, demo.env.ONEBASKET_WEBHOOK_SECRET),
    },
    body,
  });
  return res.status;
}

async function callback(demo: Demo, provider: FakeProviderSystem, providerOrderId: string, type: string) {
  const res = await fetch(`${demo.base}/webhooks/providers/${provider.id}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${provider.token}` },
    body: JSON.stringify({
      eventId: randomUUID(),
      providerOrderId,
      type,
      occurredAt: new Date().toISOString(),
    }),
  });
  return res.status;
}

/**
 * OneBasket: a basket split across two providers (their systems faked here), changed, held by a payment
 * intent (locks asked of both), changed again too late, completed twice; one provider reports its progress.
 */
export async function onebasketChannel(demo: Demo, providers: FakeProviderSystem[]): Promise<void> {
  const [kitchen, market] = providers;
  if (!kitchen || !market) throw new Error('the OneBasket scenario needs two provider systems');
  for (const provider of providers) {
    const registered = await demo.admin('PUT', `/admin/providers/${provider.id}`, {
      name: `Demo ${provider.id}`,
      baseUrl: provider.http.baseUrl,
      callbackToken: provider.token,
      supportsCallbacks: provider.behaviour.supportsCallbacks,
    });
    if (registered.status !== 200) throw new Error(`registering ${provider.id}: ${registered.status}`);
  }
  const id = `basket-${demo.run}`;
  const wrap = { sku: 'K-WRAP', name: 'Falafel wrap', quantity: 2, unitPrice: 550 };
  const water = { sku: 'M-WATER', name: 'Water 1.5 l', quantity: 3, unitPrice: 120 };
  const content = { id, providers: { [kitchen.id]: [wrap], [market.id]: [water] } };
  const held = { ...content, paymentIntent: { id: `pi-${demo.run}`, amount: 1460 } };
  const at = (s: number) => ({ occurredAt: new Date(Date.now() - 60_000 + s * 1000) });

  demo.say(`${id} created → ${await send(demo, basketEvent('BasketCreated', { id, providers: {} }, at(0)))}`);
  demo.say(
    `${id} filled: 2 wraps from ${kitchen.id}, 3 waters from ${market.id} → ${await send(demo, basketEvent('BasketUpdated', content, at(1)))}`,
  );
  demo.say(
    `payment intent: locks asked of both providers → ${await send(demo, basketEvent('PaymentIntentCreated', held, at(2)))}`,
  );
  const late = basketEvent('BasketUpdated', { ...content, providers: { [kitchen.id]: [wrap] } }, at(3));
  demo.say(
    `a change arrives while the payment holds the basket → ${await send(demo, late)} (stored, refused)`,
  );
  const complete = basketEvent('BasketComplete', held, at(4));
  demo.say(
    `payment confirmed: BasketComplete → ${await send(demo, complete)}; sent again → ${await send(demo, complete)} duplicate`,
  );

  await demo.orderId('onebasket', id);
  let providerOrderId: string | undefined;
  for (let i = 0; i < 100 && !providerOrderId; i++) {
    providerOrderId = kitchen.providerOrderIds()[0];
    if (!providerOrderId) await sleep(200);
  }
  if (!providerOrderId) throw new Error(`${kitchen.id} never received its provider order`);
  demo.say(`the order went to both provider systems; ${kitchen.id} confirms it later, by callback`);
  for (const type of ['confirmed', 'in_progress', 'ready', 'fulfilled']) {
    demo.say(`${kitchen.id} reports ${type} → ${await callback(demo, kitchen, providerOrderId, type)}`);
  }
}
