import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';
import { errorEnvelopeSchema, storedCounts } from './support.js';

// Short limits so the test runs in seconds; production defaults are 30 s / 10 s.
const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    worker: false,
    env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) },
  });
});
afterAll(async () => {
  await system?.stop();
});

const body = JSON.stringify({
  externalOrderId: 'slow-1',
  currency: 'EUR',
  items: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: 100 }],
});

interface SlowResult {
  /** What the server wrote before closing. */
  received: string;
  /** Bytes of the request we managed to send before the server closed. */
  sent: number;
  total: number;
}

/**
 * Opens a raw connection, sends `head` at once (if any), then trickles `rest` one byte every `everyMs`
 * until the server closes the connection. Never finishes sending on its own: only the server can end it.
 */
function trickle(head: string, rest: string, everyMs: number): Promise<SlowResult> {
  const url = new URL(system.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, sent, total: head.length + rest.length });
    });
    socket.once('connect', () => {
      if (head) {
        socket.write(head);
        sent += head.length;
      }
      timer = setInterval(() => {
        const index = sent - head.length;
        if (index >= rest.length) {
          clearInterval(timer);
          reject(new Error('the whole request was sent: the server never timed it out'));
          socket.destroy();
          return;
        }
        if (!socket.writable) return;
        socket.write(rest[index] ?? '');
        sent++;
      }, everyMs);
    });
  });
}

function expectTimeoutAnswer(result: SlowResult) {
  expect(result.sent, 'the server closed before the request was complete').toBeLessThan(result.total);
  const [head = '', payload = ''] = result.received.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 408 /);
  expect(errorEnvelopeSchema.parse(JSON.parse(payload)).error.code).toBe('request_timeout');
}

describe('when a client trickles the body one byte at a time', () => {
  it('times the request out, stores nothing and keeps serving others meanwhile', async () => {
    const before = await storedCounts(system.db);
    const padded = `${body}${' '.repeat(200)}`;
    const head =
      'POST /api/orders HTTP/1.1\r\n' +
      `Host: 127.0.0.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\n` +
      'Idempotency-Key: slow-client-1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${padded.length}\r\n\r\n`;
    const slow = trickle(head, padded, 250);

    // While it hangs, other clients are served.
    for (let i = 0; i < 3; i++) {
      const health = await fetch(`${system.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      const res = await postJson(
        `${system.baseUrl}/api/orders`,
        {
          externalOrderId: `fast-${i}`,
          currency: 'EUR',
          items: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: 1 }],
        },
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'idempotency-key': `fast-client-${i}` },
      );
      expect(res.status).toBe(202);
      await new Promise((r) => setTimeout(r, 200));
    }

    expectTimeoutAnswer(await slow);
    const after = await storedCounts(system.db);
    // Exactly the three fast orders were stored; the slow one was not.
    expect(after.inbound_events).toBe((before.inbound_events ?? 0) + 3);
    const slowRow = await system.db
      .selectFrom('inbound_events')
      .select('id')
      .where('dedup_key', '=', 'slow-client-1')
      .executeTakeFirst();
    expect(slowRow).toBeUndefined();
  });
});

describe('when a client trickles its headers (slowloris)', () => {
  it('times the connection out', async () => {
    const headers = `POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(200)}\r\n\r\n`;
    expectTimeoutAnswer(await trickle('', headers, 250));
  });
});

describe('when many slow clients hold connections at once', () => {
  it('still answers a normal request', async () => {
    const head =
      'POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${TEST_ADMIN_TOKEN}\r\nIdempotency-Key: slow-many\r\nContent-Length: 400\r\n\r\n`;
    const slow = Array.from({ length: 50 }, () =>
      trickle(head, `${body}${' '.repeat(400 - body.length)}`, 300),
    );
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch(`${system.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    for (const result of await Promise.all(slow)) expectTimeoutAnswer(result);
  });
});

describe('when a client sends bytes that are not HTTP', () => {
  it('answers 400 in the envelope and closes', async () => {
    const url = new URL(system.baseUrl);
    const received = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
        socket.write('\u0000\u0001GARBAGE / NOT-HTTP\r\n\r\n');
      });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => {
        data += c;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(data));
    });
    const [head = '', payload = ''] = received.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(errorEnvelopeSchema.parse(JSON.parse(payload)).error.code).toBe('bad_request');
  });
});
