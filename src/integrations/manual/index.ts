import { coreOrderActions } from '../core-actions.js';
import type { Integration } from '../types.js';
import { createManualOrders } from './batch.js';
import { manualContract } from './contract.js';
import { createManualOrder } from './create.js';
import { registerManualRoutes } from './route.js';
import { MANUAL_SOURCE } from './schema.js';

/** The `manual` channel: our storefront and operators, through the same ingest → worker → orders path. */
export const manualIntegration: Integration = {
  source: MANUAL_SOURCE,
  registerRoutes: registerManualRoutes,
  orderActions: coreOrderActions,
  handleEvent: createManualOrder,
  handleEvents: createManualOrders,
  contract: manualContract,
};
