import { type Integration, refuseInboundEvents } from '../types.js';
import { DELIVERY_REQUESTED, deliveryRequestedProcessor, deliveryRequestedPublisher } from './outbound.js';

export const DELIVERY_SOURCE = 'delivery';
export { DELIVERY_REQUESTED };

/** The delivery domain as an outbound-only integration: it receives no inbound events. */
export const deliveryIntegration: Integration = {
  source: DELIVERY_SOURCE,
  handleEvent: refuseInboundEvents('delivery'),
  outbound: { [DELIVERY_REQUESTED]: deliveryRequestedProcessor },
  published: { [DELIVERY_REQUESTED]: deliveryRequestedPublisher },
};
