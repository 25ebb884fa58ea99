import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PREPARED, preparingPool } from '../../src/db/prepared.js';
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

describe.skipIf(!usingPostgres)('prepared statements on Postgres (src/db/prepared.ts)', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let plain: Kysely<Database>;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
  });
  beforeEach(() => {
    // One connection: every statement and the look at pg_prepared_statements share one backend.
    db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: preparingPool(new pg.Pool({ connectionString: database.url, max: 1 })),
      }),
    });
    plain = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
    });
  });
  afterEach(async () => {
    await db.destroy();
    await plain.destroy();
  });
  afterAll(async () => {
    await database.drop();
  });

  const markedLookup = (key: string) =>
    sql<{ id: string }>`${sql.raw(PREPARED)} select id from inbound_events where dedup_key = ${key}`.execute(
      db,
    );

  describe('when a marked statement runs again and again', () => {
    it('is parsed once on the connection, and Postgres reuses a plan instead of planning each time', async () => {
      for (let i = 0; i < 8; i++) expect((await markedLookup(`key-${i}`)).rows).toEqual([]);
      const statements = await prepared(db);
      expect(statements).toHaveLength(1);
      expect(statements[0]?.name).toMatch(/^og_[\w-]{22}_0$/);
      expect(statements[0]?.statement.startsWith(PREPARED)).toBe(true);
      // Eight executions of one prepared statement; once Postgres settled on its generic plan, no more planning.
      expect((statements[0]?.custom_plans ?? 0) + (statements[0]?.generic_plans ?? 0)).toBe(8);
      expect(statements[0]?.generic_plans).toBeGreaterThan(0);
    });
  });

  describe('when a statement is not marked', () => {
    it('runs unnamed, as node-postgres sends it, however often', async () => {
      for (let i = 0; i < 6; i++) {
        await db.selectFrom('inbound_events').select('id').where('dedup_key', '=', `k${i}`).execute();
        await sql`select count(*) from inbound_events where status = ${'dead'}`.execute(db);
      }
      expect(await prepared(db)).toEqual([]);
      await markedLookup('control');
      expect(await prepared(db)).toHaveLength(1);
    });
  });

  describe('when a marked statement writes and returns rows', () => {
    it('answers exactly what the same statement answers unnamed', async () => {
      const insert = (executor: Kysely<Database>, mark: string, key: string) =>
        sql<Record<string, unknown>>`${sql.raw(mark)} insert into inbound_events
            (source, dedup_key, event_type, external_order_id, payload, meta)
          select 'manual', k, 'order.create', null, p, m
          from rows from (unnest(${[key, `${key}-2`]}::text[]), json_array_elements(${'[{"a":1.50},{"b":[true,null]}]'}::json),
            jsonb_array_elements(${'[{"x":"ü"},{}]'}::jsonb)) as r(k, p, m)
          returning dedup_key, payload, meta, status, attempts, received_at, processed_at`.execute(executor);
      const named = await insert(db, PREPARED, 'named');
      const unnamed = await insert(plain, '', 'unnamed');
      expect(await prepared(db)).toHaveLength(1);
      expect(named.rows).toHaveLength(2);
      const comparable = (rows: Record<string, unknown>[]) =>
        rows.map(({ dedup_key, received_at, ...rest }) => ({
          key: String(dedup_key).replace(/^(named|unnamed)/, ''),
          at: received_at instanceof Date,
          ...rest,
        }));
      expect(comparable(named.rows)).toEqual(comparable(unnamed.rows));
      expect(named.rows[0]).toMatchObject({ payload: { a: 1.5 }, meta: { x: 'ü' }, attempts: 0 });
    });
  });

  describe('when a table changes under a prepared statement (a newer process migrated it)', () => {
    it('fails that one call, then prepares the statement afresh under a new name and answers', async () => {
      await sql`create table prepared_probe (id integer primary key, a integer)`.execute(plain);
      await sql`insert into prepared_probe values (1, 1)`.execute(plain);
      const read = () => sql`${sql.raw(PREPARED)} select * from prepared_probe where id = ${1}`.execute(db);
      expect((await read()).rows).toEqual([{ id: 1, a: 1 }]);
      await sql`alter table prepared_probe add column b text default 'new'`.execute(plain);
      await expect(read()).rejects.toThrow(/cached plan must not change result type/);
      expect((await read()).rows).toEqual([{ id: 1, a: 1, b: 'new' }]);
      expect((await prepared(db)).map((s) => s.name.slice(-2)).sort()).toEqual(['_0', '_1']);
    });
  });

  describe('when node-postgres cannot serialise a value of a prepared statement', () => {
    it('fails that call only: the statement node-postgres closed on the server is prepared again', async () => {
      const echo = (doc: unknown) =>
        sql<{ doc: unknown }>`${sql.raw(PREPARED)} select ${doc}::jsonb as doc`.execute(db);
      expect((await echo({ n: 1 })).rows).toEqual([{ doc: { n: 1 } }]);
      await expect(echo({ n: 1n })).rejects.toThrow(/BigInt/);
      expect((await echo({ n: 2 })).rows).toEqual([{ doc: { n: 2 } }]);
      expect((await echo({ n: 3 })).rows).toEqual([{ doc: { n: 3 } }]);
    });
  });
});
