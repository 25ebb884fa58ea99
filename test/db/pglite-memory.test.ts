import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';

describe('when the embedded database opens a data directory', () => {
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('creates it on first use and runs with the small memory settings, then and on every later open', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ordergate-pglite-'));
    for (let open = 0; open < 2; open++) {
      const handle = await openDatabase({ dataDir: root });
      try {
        expect(handle.kind).toBe('pglite');
        const settings = await sql<{ name: string; setting: string; unit: string }>`
          select name, setting, unit from pg_settings
          where name in ('shared_buffers', 'maintenance_work_mem') order by name`.execute(handle.db);
        expect(settings.rows).toEqual([
          { name: 'maintenance_work_mem', setting: '16384', unit: 'kB' },
          { name: 'shared_buffers', setting: '2048', unit: '8kB' },
        ]);
        // The data survives the reopen: the directory was created once, not again.
        if (open === 0) await sql`create table kept (id int)`.execute(handle.db);
        else await sql`select * from kept`.execute(handle.db);
      } finally {
        await handle.close();
      }
    }
    await access(path.join(root, 'pglite', 'PG_VERSION'));
  }, 240_000);
});
