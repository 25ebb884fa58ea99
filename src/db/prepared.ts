import { hash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { sqlState } from '../lib/errors.js';

/**
 * Named prepared statements for the statements a process runs over and over. node-postgres sends every
 * unnamed query through Parse, and Postgres plans it again each time: for the inbox's batch insert that was
 * about a third of the server's CPU per row (docs/benchmarks.md). A named
 * statement is parsed once per connection, and after five executions Postgres keeps a generic plan when it is
 * no worse than the custom ones, so a repeated statement skips parse analysis and planning.
 *
 * Not every statement is worth it or safe:
 * - no parameters (`begin`, `commit`, DDL): node-postgres sends those as simple queries; left alone;
 * - more than `maxParameters` placeholders: a list whose length varies (`in ($1, …, $n)`, multi-row
 *   `values`) makes a new text for every length, each a statement kept in every backend;
 * - `order by` or `like`: the admin searches, whose best plan depends on the values (how selective a filter
 *   is, a `like` prefix a custom plan can use an index for); a generic plan could walk the wrong index;
 * - past `maxStatements` distinct texts the rest run unnamed, so a backend holds a bounded number.
 *
 * A statement whose tables changed under it (a migration by a newer process altering a column's type) fails
 * once with "cached plan must not change result type"; its text then gets a new name, prepared afresh on the
 * next use on each connection (the old one is freed with its connection).
 */
export interface PreparedStatementOptions {
  maxStatements?: number;
  maxParameters?: number;
}

interface Statement {
  name: string;
  generation: number;
}

const UNPREPARABLE = /\border\s+by\b|\blike\b/i;
/** 0A000 feature_not_supported: what Postgres raises for a cached plan whose result type changed. */
const CACHED_PLAN_CHANGED = '0A000';

export function preparingPool(pool: pg.Pool, options: PreparedStatementOptions = {}): PostgresPool {
  const maxStatements = options.maxStatements ?? 256;
  const maxParameters = options.maxParameters ?? 32;
  const statements = new Map<string, Statement>();
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  const statementFor = (text: string, parameters: number): Statement | undefined => {
    const known = statements.get(text);
    if (known) return known;
    if (parameters === 0 || parameters > maxParameters || statements.size >= maxStatements) return undefined;
    if (UNPREPARABLE.test(text)) return undefined;
    const statement = { name: nameOf(text, 0), generation: 0 };
    statements.set(text, statement);
    return statement;
  };

  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    // What Kysely would call without us; node-postgres' client is one (Kysely takes a pg.Pool as it is).
    const plain: PostgresPoolClient = client;
    const run = async <R>(text: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> => {
      const statement = statementFor(text, parameters.length);
      if (!statement) return plain.query<R>(text, parameters);
      try {
        // node-postgres' result, as Kysely reads it from an unnamed query (its `command` is a plain string).
        return (await client.query<R & pg.QueryResultRow>({
          name: statement.name,
          text,
          values: [...parameters],
        })) as PostgresQueryResult<R>;
      } catch (err) {
        if (sqlState(err) === CACHED_PLAN_CHANGED && statements.get(text) === statement) {
          statement.generation += 1;
          statement.name = nameOf(text, statement.generation);
        }
        throw err;
      }
    };
    function query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(
      sqlOrCursor: string | PostgresCursor<R>,
      parameters: readonly unknown[] = [],
    ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      return typeof sqlOrCursor === 'string' ? run<R>(sqlOrCursor, parameters) : plain.query(sqlOrCursor);
    }
    return { query, release: (destroy?: boolean) => client.release(destroy) };
  };

  return {
    options: pool.options,
    connect: async () => {
      const client = await pool.connect();
      // Kysely keeps one connection object per client it is handed: hand it the same wrapper each time.
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = wrap(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

function nameOf(text: string, generation: number): string {
  return `og_${hash('sha1', text, 'base64url').slice(0, 22)}_${generation}`;
}
