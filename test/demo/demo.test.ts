import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnv } from '../../demo/lib.js';
import { REPO_ROOT } from '../support/product-process.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

function runDemo(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, out });
    });
  });
}

describe('npm run demo', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ env: demoEnv() });
  });

  afterAll(async () => {
    await system?.stop();
  });

  describe('when the instance runs without the demo settings', () => {
    it('refuses, saying how to start it', async () => {
      const other = await startTestSystem({ worker: false });
      try {
        const { code, out } = await runDemo({ BASE: other.baseUrl, TOKEN: TEST_ADMIN_TOKEN });
        expect(code).toBe(1);
        expect(out).toContain('npm run start:demo');
      } finally {
        await other.stop();
      }
    });
  });

  it('plays every channel and reports the outcome of each scenario', { timeout: 120_000 }, async () => {
    const { code, out } = await runDemo({ BASE: system.baseUrl, TOKEN: TEST_ADMIN_TOKEN });
    expect(code, out).toBe(0);
    for (const line of [
      'manual confirmed',
      'manual cancelled',
      'yemeksepeti shipped',
      'yemeksepeti processing',
      'yemeksepeti cancelled (attention)',
      'gofood delivered',
      'gofood confirmed',
      'insufficient stock in warehouse IST-KADIKOY',
      'Dead: 0 inbox event(s), 1 outbox message(s)',
      `${system.baseUrl}/docs`,
    ]) {
      expect(out, out).toContain(line);
    }
    expect(out).toMatch(/Yemeksepeti sends it again → 200 duplicate/);
    expect(out).toMatch(/the same key with another body → 422/);
    expect(out).toMatch(/GoBiz decision calls received: 2/);
    expect(out).toMatch(/BasketComplete → 202; sent again → 200 duplicate/);
    expect(out).toMatch(/ {2}1 {2}onebasket \w+/);
    expect(out).toMatch(/demo-kitchen reports fulfilled → 202/);
  });
});
