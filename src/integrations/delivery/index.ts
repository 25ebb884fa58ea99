import { type Integration, refuseInboundEvents } from '../types.js';
import {
  DELIVERY_REQUESTED,
  DELIVERY_UPDATED,
  deliveryRequestedProcessor,
  deliveryRequestedPublisher,
  deliveryUpdatedProcessor,
  deliveryUpdatedPublisher,
} from './outbound.js';

export const DELIVERY_SOURCE = 'delivery';
export { type DeliveryLine, deliveryLine, handedToDelivery, tellDeliveryLinesChanged } from './updates.js';
export { DELIVERY_REQUESTED, DELIVERY_UPDATED };

/** The delivery domain as an outbound-only integration: it receives no inbound events. */
export const deliveryIntegration: Integration = {
  source: DELIVERY_SOURCE,
  handleEvent: refuseInboundEvents('delivery'),
  outbound: {
    [DELIVERY_REQUESTED]: deliveryRequestedProcessor,
    [DELIVERY_UPDATED]: deliveryUpdatedProcessor,
  },
  published: {
    [DELIVERY_REQUESTED]: deliveryRequestedPublisher,
    [DELIVERY_UPDATED]: deliveryUpdatedPublisher,
  },
};
