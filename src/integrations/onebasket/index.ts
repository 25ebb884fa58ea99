import type { Integration } from '../types.js';
import { handleBasketEvent, TOPIC_LOCK, TOPIC_RELEASE } from './baskets.js';
import { TOPIC_DISPATCH } from './completion.js';
import { onebasketContract } from './contract.js';
import { dispatchProviderOrder } from './dispatch.js';
import { releaseProviderLock, requestProviderLock } from './locks.js';
import { handleProviderEvent, PROVIDER_DEDUP_PREFIX } from './provider-events.js';
import { reconcileProviderOrders } from './reconcile.js';
import {
  registerOnebasketAdminRoutes,
  registerOnebasketCustomerApi,
  registerOnebasketWebhooks,
} from './route.js';
import { ONEBASKET_SOURCE } from './schema.js';

/**
 * OneBasket: basket events in, payment-intent locks and provider orders out to each provider's system,
 * provider events back in. See docs/onebasket.md.
 */
export const onebasketIntegration: Integration = {
  source: ONEBASKET_SOURCE,
  registerRoutes(app, deps) {
    registerOnebasketWebhooks(app, deps);
    registerOnebasketCustomerApi(app, deps);
    registerOnebasketAdminRoutes(app, deps);
  },
  // The dedup key's prefix is set by our route (never by the sender): it says which endpoint took the event.
  handleEvent: (ctx, event) =>
    event.dedup_key.startsWith(PROVIDER_DEDUP_PREFIX)
      ? handleProviderEvent(ctx, event)
      : handleBasketEvent(ctx, event),
  outbound: {
    [TOPIC_LOCK]: requestProviderLock,
    [TOPIC_RELEASE]: releaseProviderLock,
    [TOPIC_DISPATCH]: dispatchProviderOrder,
  },
  reconcile: reconcileProviderOrders,
  contract: onebasketContract,
};
