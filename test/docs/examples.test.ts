import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { type DocBlock, examplesByFile, isExample, scriptFor } from './examples.js';

/** The provider secrets the docs' examples sign and authenticate with (the instance is configured with them). */
const PROVIDER_ENV = {
  YEMEKSEPETI_MARKET_TOKEN: 'docs-ys-market-token-0123456789',
  YEMEKSEPETI_SU_TOKEN: 'docs-ys-su-token-0123456789abcd',
  GOFOOD_NOTIFICATION_SECRET: 'docs-gofood-notification-secret-0123',
};

const TOOLS = ['bash', 'curl', 'jq', 'openssl'];

const blocksByFile = await examplesByFile();
const exampleFiles = [...blocksByFile].filter(([, blocks]) => blocks.some(isExample));

function runScript(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    // A waiting loop that never ends (a doc waiting for something that no longer happens) fails the file.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, out });
    });
  });
}

describe('every curl example in README.md and docs/*.md, run against an instance', () => {
  let system: TestSystem;
  let home: string;

  beforeAll(async () => {
    for (const tool of TOOLS) {
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`]);
      } catch {
        throw new Error(`the docs test needs ${tool} on PATH (the examples use it): apt-get install ${tool}`);
      }
    }
    // The examples run in a directory like a fresh clone's: the instance's DATA_DIR is its `.data`, and the
    // admin token is the one the instance generated there (the quick start reads it from the file).
    home = await mkdtemp(path.join(os.tmpdir(), 'ordergate-docs-'));
    await mkdir(path.join(home, '.data'));
    system = await startTestSystem({
      env: { ...PROVIDER_ENV, ADMIN_TOKEN: '', DATA_DIR: path.join(home, '.data') },
    });
  });

  afterAll(async () => {
    await system?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('finds examples in the README and the channel docs', () => {
    const files = exampleFiles.map(([file]) => file);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/gofood.md', 'docs/yemeksepeti.md']));
  });

  it('has no curl in a block the test does not run', () => {
    const hidden = [...blocksByFile.values()]
      .flat()
      .filter((b: DocBlock) => b.info.startsWith('sh') && !isExample(b) && /\bcurl\b/.test(b.body));
    expect(hidden.map((b) => `${b.file}:${b.line} (\`\`\`${b.info})`)).toEqual([]);
  });

  it.each(exampleFiles)('%s: its examples answer what the text says', async (file, blocks) => {
    const state = await mkdtemp(path.join(os.tmpdir(), 'ordergate-docs-state-'));
    try {
      const script = scriptFor(blocks.filter(isExample), state);
      await writeFile(path.join(state, 'script.sh'), script);
      const token = (await readFile(path.join(home, '.data', 'admin-token'), 'utf8')).trim();
      const { code, out } = await runScript(script, home, {
        HOME: home,
        BASE: system.baseUrl,
        TOKEN: token,
        ...PROVIDER_ENV,
      });
      const log = path.join(os.tmpdir(), `ordergate-docs-${file.replaceAll('/', '-')}.log`);
      await writeFile(log, out);
      expect(
        code,
        `${file}'s examples failed (whole output in ${log}; the last block printed is the one that failed):\n${out.slice(-3000)}`,
      ).toBe(0);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });
});
