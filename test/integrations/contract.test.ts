/**
 * The push contract every integration with a push endpoint keeps: registering an integration with a
 * `contract` descriptor is all it takes to be checked here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrations } from '../../src/integrations/index.js';
import type { Integration, PushContract } from '../../src/integrations/types.js';
import { startTestSystem, type TestSystem } from '../support/system.js';

const pushing = integrations.flatMap((integration) =>
  integration.contract ? [{ integration, contract: integration.contract }] : [],
);

describe('the push contract', () => {
  let system: TestSystem;
  let n = 0;

  beforeAll(async () => {
    // The gateway alone: the contract is about what is stored, not what the workers make of it.
    system = await startTestSystem({
      worker: false,
      env: Object.assign({}, ...pushing.map(({ contract }) => contract.testEnv)),
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('is described by every integration that mounts routes (a push endpoint)', () => {
    const withRoutes = integrations.filter((i) => i.registerRoutes).map((i) => i.source);
    expect(pushing.map(({ integration }) => integration.source)).toEqual(withRoutes);
    expect(withRoutes.length).toBeGreaterThan(0);
  });

  function push(contract: PushContract, raw: string, headers: Record<string, string>): Promise<Response> {
    return fetch(`${system.baseUrl}${contract.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw,
    });
  }

  async function storedEvents(integration: Integration): Promise<number> {
    const row = await system.db
      .selectFrom('inbound_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('source', '=', integration.source)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  describe.each(pushing)('$integration.source', ({ integration, contract }) => {
    describe('when the credentials are missing', () => {
      it('answers 401 in the error envelope and stores nothing', async () => {
        const before = await storedEvents(integration);
        const res = await push(contract, contract.sampleBody(++n), {});
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
        expect(await storedEvents(integration)).toBe(before);
      });
    });

    describe('when the credentials are wrong', () => {
      it('answers 401 in the error envelope and stores nothing', async () => {
        const before = await storedEvents(integration);
        const raw = contract.sampleBody(++n);
        const res = await push(contract, raw, contract.forge(raw, system.config));
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
        expect(await storedEvents(integration)).toBe(before);
      });
    });

    describe('when the same push arrives twice', () => {
      it('stores one event: 202 the first time, 200 duplicate with the same id the second', async () => {
        const before = await storedEvents(integration);
        const raw = contract.sampleBody(++n);
        const first = await push(contract, raw, contract.authorise(raw, system.config));
        expect(first.status).toBe(202);
        const { eventId } = (await first.json()) as { eventId: string };
        const second = await push(contract, raw, contract.authorise(raw, system.config));
        expect(second.status).toBe(200);
        // An answer may say more (a checkout's order id and status URL), never less.
        expect(await second.json()).toMatchObject({ eventId, duplicate: true });
        expect(await storedEvents(integration)).toBe(before + 1);
      });
    });

    describe('when the body is not JSON', () => {
      it('answers 400 in the error envelope and stores nothing', async () => {
        const before = await storedEvents(integration);
        const raw = '{"not": json';
        const res = await push(contract, raw, contract.authorise(raw, system.config));
        expect(res.status).toBe(400);
        const body = (await res.json()) as {
          error?: { code?: unknown; message?: unknown; requestId?: unknown };
        };
        expect(body.error).toMatchObject({
          code: expect.any(String),
          message: expect.any(String),
          requestId: expect.any(String),
        });
        expect(await storedEvents(integration)).toBe(before);
      });
    });
  });
});
