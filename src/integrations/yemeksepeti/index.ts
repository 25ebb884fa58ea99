import type { Integration } from '../types.js';
import { yemeksepetiActions } from './actions.js';
import { YS_UPDATE_TOPIC } from './attributes.js';
import { handleYemeksepetiEvents } from './batch.js';
import { yemeksepetiContract } from './contract.js';
import { handleYemeksepetiEvent } from './handle.js';
import { YS_SOURCE } from './mapping.js';
import { ysUpdateProcessor } from './outbound.js';
import { reconcileYemeksepeti } from './reconcile.js';
import { RECOVER_JOB, recoverInputSchema, recoverVendorOrders } from './recover.js';
import { registerYemeksepetiRoutes } from './route.js';

/** Yemeksepeti Mahalle: push webhook per category, partner API for updates and recovery. */
export const yemeksepetiIntegration: Integration = {
  source: YS_SOURCE,
  registerRoutes: registerYemeksepetiRoutes,
  handleEvent: handleYemeksepetiEvent,
  handleEvents: handleYemeksepetiEvents,
  outbound: { [YS_UPDATE_TOPIC]: ysUpdateProcessor() },
  maintenance: {
    [RECOVER_JOB]: (ctx, data) => recoverVendorOrders(ctx, recoverInputSchema.parse(data)),
  },
  orderActions: yemeksepetiActions,
  reconcile: reconcileYemeksepeti,
  contract: yemeksepetiContract,
};
