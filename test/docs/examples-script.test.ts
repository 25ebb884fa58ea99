import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocBlock, fencedBlocks, isExample, scriptFor } from './examples.js';

/** A server answering `/status/NNN` with that status, so the runner's verdicts can be checked. */
let server: Server;
let base: string;
let state: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const status = Number(/^\/status\/(\d{3})$/.exec(req.url ?? '')?.[1] ?? 404);
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state = await mkdtemp(path.join(os.tmpdir(), 'ordergate-docs-runner-'));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(state, { recursive: true, force: true });
});

/** Runs in a child process without blocking this one: the server answering the examples lives here. */
function run(markdown: string): Promise<{ code: number; out: string }> {
  const blocks: DocBlock[] = fencedBlocks('doc.md', markdown).filter(isExample);
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', scriptFor(blocks, state)], {
      env: { PATH: process.env.PATH ?? '', BASE: base },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, out });
    });
  });
}

const block = (body: string) => `text\n\n\`\`\`sh\n${body}\n\`\`\`\n`;

describe('the docs runner', () => {
  it('passes an example whose answer is a 2xx', async () => {
    expect((await run(block('curl -s "$BASE/status/200"'))).code).toBe(0);
  });

  it('passes an error answer announced with its status', async () => {
    expect((await run(block('curl -s "$BASE/status/401"\n# → 401 {"error":…}'))).code).toBe(0);
  });

  describe('when an example answers an error its text does not announce', () => {
    it('fails, naming the request', async () => {
      const { code, out } = await run(block('curl -s "$BASE/status/401"'));
      expect(code).not.toBe(0);
      expect(out).toContain('/status/401');
    });
  });

  describe('when the announced status is not the answer', () => {
    it('fails with both', async () => {
      const { code, out } = await run(block('curl -s "$BASE/status/200"\n# → 202'));
      expect(code).not.toBe(0);
      expect(out).toContain('expected 202, the example answered 200');
    });
  });

  it('leaves a curl run with -f to judge its own answer', async () => {
    expect((await run(block('until curl -sf "$BASE/status/200"; do sleep 0.1; done'))).code).toBe(0);
    expect((await run(block('curl -sf "$BASE/status/500"'))).code).not.toBe(0);
  });

  it('runs neither blocks of another language nor sh no-run blocks', () => {
    const markdown = '```js\ncurl nothing\n```\n\n```sh no-run\nnpm start\n```\n';
    expect(fencedBlocks('doc.md', markdown).filter(isExample)).toEqual([]);
  });
});
