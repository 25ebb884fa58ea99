import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const depcruise = join(repo, 'node_modules/.bin/depcruise');

interface Lint {
  code: number;
  output: string;
}

/** Runs the repository's layer rules over a small tree of source files laid out like src/. */
async function lintTree(root: string, files: Record<string, string>): Promise<Lint> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  // The repository's rules, resolved without its tsconfig (the probe tree has plain relative imports).
  const config = join(root, 'depcruise.cjs');
  await writeFile(
    config,
    `const base = require(${JSON.stringify(join(repo, '.dependency-cruiser.cjs'))});
module.exports = { ...base, options: { ...base.options, tsConfig: undefined } };`,
  );
  try {
    const { stdout } = await run(depcruise, ['src', '--config', config], { cwd: root });
    return { code: 0, output: stdout };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the layer rules of npm run lint', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ordergate-layers-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('when an integration imports the gateway, fails naming integrations-not-to-gateway', async () => {
    const lint = await lintTree(join(root, 'up'), {
      'src/gateway/app.ts': 'export const app = 1;\n',
      'src/integrations/probe/route.ts':
        "import { app } from '../../gateway/app.js';\nexport const x = app;\n",
    });
    expect(lint.code).not.toBe(0);
    expect(lint.output).toContain('integrations-not-to-gateway');
    expect(lint.output).toContain('src/integrations/probe/route.ts');
  });

  it('when two modules import each other, fails naming no-circular', async () => {
    const lint = await lintTree(join(root, 'cycle'), {
      'src/orders/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/orders/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    expect(lint.code).not.toBe(0);
    expect(lint.output).toContain('no-circular');
  });

  it('when the orders core imports the workers, fails naming orders-only-to-db-and-neutral', async () => {
    const lint = await lintTree(join(root, 'orders-up'), {
      'src/workers/index.ts': 'export const w = 1;\n',
      'src/orders/create.ts': "import { w } from '../workers/index.js';\nexport const c = w;\n",
    });
    expect(lint.code).not.toBe(0);
    expect(lint.output).toContain('orders-only-to-db-and-neutral');
  });

  it('when imports point down only, passes', async () => {
    const lint = await lintTree(join(root, 'down'), {
      'src/db/index.ts': 'export const db = 1;\n',
      'src/orders/create.ts': "import { db } from '../db/index.js';\nexport const c = db;\n",
      'src/integrations/probe/flow.ts': "import { c } from '../../orders/create.js';\nexport const f = c;\n",
      'src/gateway/app.ts': "import { f } from '../integrations/probe/flow.js';\nexport const g = f;\n",
    });
    expect(lint.output).toContain('no dependency violations');
    expect(lint.code).toBe(0);
  });
});
