import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { errorStatus } from '../../src/lib/errors.js';
import { errorTable, README, tableIn } from './error-list.js';

describe("the README's error table", () => {
  it('is the one generated from src/lib/errors.ts (else run `npm run docs:errors`)', async () => {
    const table = tableIn(await readFile(README, 'utf8'));
    expect(table, 'README.md lost its error-code markers').toBeDefined();
    expect(table).toBe(errorTable());
  });

  it('lists every code with its status', () => {
    for (const [code, status] of Object.entries(errorStatus)) {
      expect(errorTable()).toMatch(new RegExp(`\\| ${status}\\s+\\| \`${code}\`\\s+\\|`));
    }
  });
});
