import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    worker: false,
    env: { FIRST_REQUEST_TIMEOUT_MS: '300', MAX_CONNECTIONS: '3' },
  });
});
afterAll(async () => {
  await system?.stop();
});

function connect(): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const url = new URL(system.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      resolve({ socket, closed });
    });
    socket.once('error', reject);
    socket.on('error', () => {});
  });
}

/** One HTTP/1.1 request on an open socket; resolves with the status line. */
function statusLine(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1').split('\r\n')[0] ?? ''));
    socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n');
  });
}

describe('when a connection never sends a request', () => {
  it('is closed by the server', async () => {
    const { closed } = await connect();
    await closed;
  });

  it('but one that sends a request in time is served and kept alive', async () => {
    const { socket, closed } = await connect();
    expect(await statusLine(socket)).toBe('HTTP/1.1 200 OK');
    expect(socket.destroyed).toBe(false);
    socket.destroy();
    await closed;
  });
});

describe('when more connections arrive than MAX_CONNECTIONS', () => {
  it('closes the extra ones and keeps serving the others', async () => {
    const held = await Promise.all([connect(), connect(), connect()]);
    // Each sends a request first, so the silent-connection timer cannot be what closes them.
    for (const { socket } of held) expect(await statusLine(socket)).toBe('HTTP/1.1 200 OK');
    const extra = await connect();
    await extra.closed;
    const first = held[0];
    if (!first) throw new Error('no connection');
    expect(await statusLine(first.socket)).toBe('HTTP/1.1 200 OK');
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map((h) => h.closed));
  });
});
