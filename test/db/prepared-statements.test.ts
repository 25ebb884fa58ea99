import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preparingPool } from '../../src/db/prepared.js';
import type { Database } from '../../src/db/schema.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from '../support/system.js';

/** Statements this session has prepared by name (protocol-level ones included), with their plan counts. */
async function prepared(db: Kysely<Database>) {
  const { rows } = await sql<{
    name: string;
    statement: string;
    generic_plans: number;
    custom_plans: number;
  }>`
    select name, statement, generic_plans::int, custom_plans::int from pg_prepared_statements order by name`.execute(
    db,
  );
  return rows;
}

describe.skipIf(!usingPostgres)('named prepared statements on Postgres', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let pool: pg.Pool;

  const open = (options?: Parameters<typeof preparingPool>[1]) => {
    // One connection: every statement and the look at pg_prepared_statements share one backend.
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool, options) }) });
  };

  beforeAll(async () => {
    database = await createTestDatabase('pg');
  });
  afterEach(async () => {
    await db.destroy();
  });
  afterAll(async () => {
    await database.drop();
  });

  describe('when the same statement runs again and again', () => {
    it('is parsed once, and Postgres plans it once and reuses the plan', async () => {
      open();
      const lookup = (id: string) =>
        db.selectFrom('inbound_events').select(['id', 'status']).where('dedup_key', '=', id).execute();
      for (let i = 0; i < 8; i++) expect(await lookup(`key-${i}`)).toEqual([]);
      const statements = (await prepared(db)).filter((s) => s.statement.includes('from "inbound_events"'));
      expect(statements).toHaveLength(1);
      expect(statements[0]?.name).toMatch(/^og_[\w-]{22}_0$/);
      // Five custom plans, then the generic one kept.
      expect(statements[0]?.custom_plans).toBe(5);
      expect(statements[0]?.generic_plans).toBe(3);
    });

    it('answers what an unnamed statement answers', async () => {
      open();
      await db
        .insertInto('inbound_events')
        .values({ source: 'manual', dedup_key: 'same-answer', event_type: 'order.create', payload: '{}' })
        .execute();
      for (let i = 0; i < 7; i++) {
        const rows = await db
          .selectFrom('inbound_events')
          .select(['dedup_key', 'status', 'attempts'])
          .where('dedup_key', '=', 'same-answer')
          .execute();
        expect(rows).toEqual([{ dedup_key: 'same-answer', status: 'received', attempts: 0 }]);
      }
    });
  });

  describe('when a statement is one whose best plan depends on its values, or carries none', () => {
    it('runs unnamed: order by, like, more placeholders than the limit, no placeholder', async () => {
      open({ maxParameters: 3 });
      await db
        .selectFrom('inbound_events')
        .select('id')
        .where('source', '=', 'a')
        .orderBy('received_at')
        .execute();
      await db.selectFrom('inbound_events').select('id').where('dedup_key', 'like', 'a%').execute();
      await db
        .selectFrom('inbound_events')
        .select('id')
        .where('dedup_key', 'in', ['a', 'b', 'c', 'd'])
        .execute();
      await sql`select count(*) from inbound_events`.execute(db);
      expect(await prepared(db)).toEqual([]);
    });
  });

  describe('when a process runs more distinct statements than the limit', () => {
    it('prepares the first ones only, so a backend holds a bounded number', async () => {
      open({ maxStatements: 3 });
      for (let n = 1; n <= 6; n++) {
        // A different text each time: n parameters.
        const keys = Array.from({ length: n }, (_, i) => `k${i}`);
        await db.selectFrom('inbound_events').select('id').where('dedup_key', 'in', keys).execute();
        await db.selectFrom('inbound_events').select('id').where('dedup_key', 'in', keys).execute();
      }
      expect(await prepared(db)).toHaveLength(3);
    });
  });

  describe('when a table changes under a prepared statement (a newer process migrated it)', () => {
    it('fails that one call, then prepares the statement afresh and answers', async () => {
      open();
      await sql`create table prepared_probe (id integer, a integer)`.execute(db);
      await sql`insert into prepared_probe values (1, 1)`.execute(db);
      const read = () => sql<{ a: unknown }>`select a from prepared_probe where id = ${1}`.execute(db);
      expect((await read()).rows).toEqual([{ a: 1 }]);
      await sql`alter table prepared_probe alter column a type text`.execute(db);
      await expect(read()).rejects.toThrow(/cached plan must not change result type/);
      expect((await read()).rows).toEqual([{ a: '1' }]);
      expect((await prepared(db)).map((s) => s.name.slice(-2))).toEqual(['_0', '_1']);
    });
  });
});
