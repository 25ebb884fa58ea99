import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { spawnProduct } from '../support/product-process.js';
import { clearQueues, createTestDatabase, type TestDatabase, usingPostgres } from '../support/system.js';

/** `npm run reconcile`, as an external cron runs it: a child process against a real database and Redis. */
describe.skipIf(!usingPostgres)('npm run reconcile', () => {
  let database: TestDatabase;
  const prefix = `{og-test-${randomUUID().slice(0, 8)}}`;
  beforeAll(async () => {
    database = await createTestDatabase('pg');
  });
  afterAll(async () => {
    await clearQueues(
      loadConfig({ NODE_ENV: 'test', QUEUE_PREFIX: prefix, REDIS_URL: process.env.REDIS_URL }),
    );
    await database?.drop();
  });

  /** Through npm the first time (the command a cron runs), then its entry point directly (faster). */
  let viaNpm = true;
  const reconcile = async (env: Record<string, string> = {}) => {
    const command = viaNpm ? { npm: ['run', '--silent', 'reconcile'] } : { tsx: 'src/reconciliation/cli.ts' };
    viaNpm = false;
    const child = spawnProduct({
      command,
      port: 0,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL,
        QUEUE_PREFIX: prefix,
        ...env,
      },
    });
    const { code } = await child.exited;
    await child.closed;
    return { code, output: child.output() };
  };

  describe('when the run succeeds', () => {
    it('stores it as a cli run, prints its summary and exits 0', async () => {
      const { code, output } = await reconcile();
      expect(output).toMatch(/reconciliation run [0-9a-f-]{36} succeeded \(cli/);
      expect(output).toContain('findings:');
      expect(code).toBe(0);
      const runs = await database.handle.db.selectFrom('reconciliation_runs').selectAll().execute();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ trigger: 'cli', status: 'succeeded' });
    });
  });

  describe('when the run fails', () => {
    it('stores the failed run, prints its error and exits 1', async () => {
      const { code, output } = await reconcile({
        YEMEKSEPETI_API_URL: 'http://127.0.0.1:9/',
        YEMEKSEPETI_CLIENT_ID: 'id',
        YEMEKSEPETI_CLIENT_SECRET: 'secret',
        YEMEKSEPETI_RECONCILE_VENDORS: 'chain:vendor',
        YEMEKSEPETI_TIMEOUT_MS: '2000',
      });
      expect(output).toContain('failed');
      expect(output).toContain('error: yemeksepeti');
      expect(code).toBe(1);
      const failed = await database.handle.db
        .selectFrom('reconciliation_runs')
        .select('status')
        .where('status', '=', 'failed')
        .execute();
      expect(failed).toHaveLength(1);
    });
  });

  describe('when another run is in progress', () => {
    it('starts nothing, says so and exits 0', async () => {
      const running = await database.handle.db
        .insertInto('reconciliation_runs')
        .values({ trigger: 'schedule', window_start: new Date(), window_end: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      const before = await database.handle.db.selectFrom('reconciliation_runs').select('id').execute();
      const { code, output } = await reconcile();
      expect(output).toContain(`skipped: reconciliation run ${running.id} is still running`);
      expect(code).toBe(0);
      const after = await database.handle.db.selectFrom('reconciliation_runs').select('id').execute();
      expect(after).toHaveLength(before.length);
    });
  });

  describe('when the database is unreachable', () => {
    it('exits 2 and says why', async () => {
      const { code, output } = await reconcile({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
      expect(output).toContain('reconciliation could not run');
      expect(code).toBe(2);
    });
  });
});
