import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lingerAfterEarlyAnswers } from '../../src/gateway/node-server.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';

/**
 * Answers given before the body has arrived (413 from the Content-Length, 401 from the token) must reach
 * clients that write their whole body before reading, as Node's fetch does.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ worker: false });
});

afterAll(async () => {
  await system?.stop();
});

async function inboxCount(): Promise<number> {
  const row = await system.db
    .selectFrom('inbound_events')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

const execFileAsync = promisify(execFile);
const client = fileURLToPath(new URL('../support/fetch-client.mjs', import.meta.url));

/**
 * Posts from a separate process with Node's fetch: in this process the client's writes and the server's
 * answer would take turns on one event loop, and the race that loses the answer would not happen.
 */
async function fetchFromAnotherProcess(
  url: string,
  headers: Record<string, string>,
  bytes: number,
  stream?: { chunkBytes: number; gapMs: number },
): Promise<{ status?: number; body?: string; error?: string }> {
  const args = [client, url, JSON.stringify(headers), String(bytes)];
  if (stream) args.push(String(stream.chunkBytes), String(stream.gapMs));
  const { stdout } = await execFileAsync(process.execPath, args);
  return JSON.parse(stdout) as { status?: number; body?: string; error?: string };
}

describe('when fetch sends a body far over the limit with its Content-Length', () => {
  it('gets the 413 envelope, not a broken pipe, and nothing is stored', async () => {
    const before = await inboxCount();
    for (const [i, bytes] of [2 * 1024 * 1024, 12 * 1024 * 1024, 12 * 1024 * 1024].entries()) {
      // 12 MiB: more than the kernel's socket buffers absorb before the server has answered.
      const res = await fetchFromAnotherProcess(
        `${system.baseUrl}/api/orders`,
        {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          'idempotency-key': `big-${i}`,
          'content-type': 'application/json',
        },
        bytes,
      );
      expect(res.error).toBeUndefined();
      expect(res.status).toBe(413);
      expect((JSON.parse(res.body ?? '') as { error: { code: string } }).error.code).toBe(
        'payload_too_large',
      );
    }
    expect(await inboxCount()).toBe(before);
  });
});

describe('when a push with a wrong token is still sending its body', () => {
  it('gets the 401 envelope once the body has been sent, and nothing is stored', async () => {
    const before = await inboxCount();
    // ~1 MiB in chunks 100 ms apart: the answer is written at the first bytes, long before the last.
    const res = await fetchFromAnotherProcess(
      `${system.baseUrl}/api/v2/yemeksepeti/order/create`,
      { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
      1024 * 1024,
      { chunkBytes: 64 * 1024, gapMs: 100 },
    );
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(401);
    expect((JSON.parse(res.body ?? '') as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(await inboxCount()).toBe(before);
  });
});

describe('when a client keeps sending after an early answer', () => {
  let server: http.Server;
  let port = 0;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain', connection: 'close' }).end('no');
    });
    lingerAfterEarlyAnswers(server, { maxBytes: 256 * 1024, maxMs: 1_500 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const openConnections = () =>
    new Promise<number>((resolve, reject) =>
      server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );

  /**
   * Sends headers announcing 64 MiB, then keeps writing `pump` (if given); resolves once the server has
   * closed its side. The client stays half-open so that only the server can end the connection.
   */
  async function announceHugeBody(pump?: Buffer) {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    let written = 0;
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
    const write = () => {
      while (pump && !socket.destroyed && written < 64 * 1024 * 1024) {
        written += pump.length;
        if (!socket.write(pump)) {
          socket.once('drain', write);
          return;
        }
      }
    };
    setImmediate(write);
    await waitFor(() => answer.length > 0, 10_000, 10);
    await new Promise((r) => setTimeout(r, 200));
    const openAfterAnswer = await openConnections();
    await waitFor(async () => (await openConnections()) === 0, 10_000, 20);
    socket.destroy();
    return { answer, written, openAfterAnswer };
  }

  it('keeps reading for a while, then drops the connection once the time bound has passed', async () => {
    // Sends nothing after the headers: without a bound the socket would stay open until the request timeout.
    const { answer, openAfterAnswer } = await announceHugeBody();
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    // Node alone closes a `Connection: close` socket as soon as the answer is out.
    expect(openAfterAnswer).toBe(1);
  });

  it('drops the connection once the size bound has been read', async () => {
    const { answer, written } = await announceHugeBody(Buffer.alloc(64 * 1024, 0x20));
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    // The bound plus what the two sockets' buffers hold, far from the 64 MiB announced.
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });
});
