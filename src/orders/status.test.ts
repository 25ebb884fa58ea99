import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  fulfilmentRank,
  isOrderStatus,
  ORDER_TRANSITIONS,
  type OrderStatus,
  orderStatuses,
  terminalStatuses,
  transitionPath,
} from './status.js';

/** The transition table, written out independently of the implementation. */
const expectedLegal: Record<OrderStatus, OrderStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled', 'refunded'],
  processing: ['shipped', 'cancelled', 'refunded'],
  shipped: ['delivered', 'cancelled', 'refunded'],
  delivered: ['refunded'],
  cancelled: ['refunded'],
  refunded: [],
};

const allPairs = orderStatuses.flatMap((from) => orderStatuses.map((to) => [from, to] as const));

describe('the transition table', () => {
  it('lists every status exactly once as a source', () => {
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...orderStatuses].sort());
  });

  it.each(allPairs)('decides %s → %s as the transition table says', (from, to) => {
    expect(canTransition(from, to)).toBe(expectedLegal[from].includes(to));
  });

  it('never allows a status to move to itself', () => {
    for (const status of orderStatuses) expect(canTransition(status, status)).toBe(false);
  });
});

describe('when an order was delivered', () => {
  it('cannot be cancelled, only refunded', () => {
    expect(canTransition('delivered', 'cancelled')).toBe(false);
    expect(canTransition('delivered', 'refunded')).toBe(true);
    expect(transitionPath('delivered', 'cancelled')).toBeUndefined();
  });
});

describe('when an order is refunded', () => {
  it('is terminal: no transition leaves it', () => {
    for (const to of orderStatuses) expect(canTransition('refunded', to)).toBe(false);
    for (const to of orderStatuses.filter((s) => s !== 'refunded')) {
      expect(transitionPath('refunded', to)).toBeUndefined();
    }
  });
});

describe('terminal statuses', () => {
  it('are delivered, cancelled and refunded, and none of them can move forward in fulfilment', () => {
    expect([...terminalStatuses].sort()).toEqual(['cancelled', 'delivered', 'refunded']);
    for (const status of terminalStatuses) {
      for (const to of ['confirmed', 'processing', 'shipped', 'delivered'] as const) {
        expect(canTransition(status, to)).toBe(false);
      }
    }
  });
});

describe('transitionPath', () => {
  it('is empty when the order is already there', () => {
    for (const status of orderStatuses) expect(transitionPath(status, status)).toEqual([]);
  });

  it('walks every fulfilment step when an external system skips some', () => {
    expect(transitionPath('pending', 'delivered')).toEqual([
      'confirmed',
      'processing',
      'shipped',
      'delivered',
    ]);
    expect(transitionPath('confirmed', 'shipped')).toEqual(['processing', 'shipped']);
  });

  it('takes the direct edge when there is one', () => {
    expect(transitionPath('pending', 'cancelled')).toEqual(['cancelled']);
    expect(transitionPath('shipped', 'refunded')).toEqual(['refunded']);
  });

  it('reaches refunded from pending through confirmation (pending → refunded is not an edge)', () => {
    expect(canTransition('pending', 'refunded')).toBe(false);
    expect(transitionPath('pending', 'refunded')).toEqual(['confirmed', 'refunded']);
  });

  it('refuses to go backwards', () => {
    expect(transitionPath('shipped', 'confirmed')).toBeUndefined();
    expect(transitionPath('cancelled', 'pending')).toBeUndefined();
    expect(transitionPath('processing', 'pending')).toBeUndefined();
  });

  it('returns only legal steps for every reachable pair', () => {
    for (const [from, to] of allPairs) {
      const path = transitionPath(from, to);
      if (!path) continue;
      let current: OrderStatus = from;
      for (const step of path) {
        expect(canTransition(current, step), `${from} → ${to} via ${current} → ${step}`).toBe(true);
        current = step;
      }
      expect(current).toBe(to);
    }
  });
});

describe('fulfilmentRank', () => {
  it('orders the fulfilment path strictly', () => {
    const path: OrderStatus[] = ['pending', 'confirmed', 'processing', 'shipped', 'delivered'];
    for (let i = 1; i < path.length; i++) {
      const before = path[i - 1] as OrderStatus;
      const after = path[i] as OrderStatus;
      expect(fulfilmentRank[after]).toBeGreaterThan(fulfilmentRank[before]);
    }
  });
});

describe('isOrderStatus', () => {
  it('accepts the internal statuses and nothing else', () => {
    for (const status of orderStatuses) expect(isOrderStatus(status)).toBe(true);
    for (const other of ['PENDING', 'ready', '', 'dispatched']) expect(isOrderStatus(other)).toBe(false);
  });
});

describe('for any sequence of requested transitions (property)', () => {
  it('follows only the table: nothing after refunded, no cancel after delivery, every step legal', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...orderStatuses), { maxLength: 30 }), (requests) => {
        let status: OrderStatus = 'pending';
        const visited: OrderStatus[] = [status];
        for (const to of requests) {
          if (!canTransition(status, to)) continue;
          expect(ORDER_TRANSITIONS[status]).toContain(to);
          status = to;
          visited.push(status);
        }
        const refunded = visited.indexOf('refunded');
        if (refunded >= 0) expect(visited.length - 1).toBe(refunded);
        const delivered = visited.indexOf('delivered');
        if (delivered >= 0) expect(visited.slice(delivered)).not.toContain('cancelled');
        for (let i = 1; i < visited.length; i++) {
          const from = visited[i - 1];
          const to = visited[i];
          if (from && to) expect(transitionPath(from, to)).toEqual([to]);
        }
      }),
    );
  });
});
