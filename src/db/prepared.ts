import { hash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { errorMessage, sqlState } from '../lib/errors.js';

/**
 * The mark that makes a statement a named prepared statement: `sql\`${PREPARED} insert …\``. node-postgres
 * sends every other query unnamed, through Parse, and Postgres analyses and plans it again each time. For the
 * inbox's batch insert that was about a quarter of Postgres' CPU per row (docs/benchmarks.md, 2026-12-04). A
 * named statement is parsed once per connection, and after five executions Postgres keeps its generic plan
 * when that is no worse than the custom ones, so the statement is planned no more.
 *
 * Opt-in, not automatic: a generic plan is chosen on a connection's first five executions and kept, so a
 * statement whose best plan depends on its values (a count by a skewed status, a filter a partial index
 * serves only for a constant) could stick to a plan that is wrong for the values that come later. A marked
 * statement is one whose plan cannot depend on them (its rows come from its parameters), and one whose text
 * is the same whatever the batch, so a backend holds one statement per mark.
 */
export const PREPARED = '/* prepared */';

/**
 * Whether a named statement can no longer be used under its name on some connection: its table changed under
 * it (0A000, a migration by a newer process), or node-postgres believes it prepared while the server has not
 * got it (26000). An error without a SQLSTATE counts too: node-postgres closes the statement on the server
 * when it cannot serialise a value (a BigInt in a JSON parameter) yet may keep it as prepared, and a broken
 * connection is replaced anyway. The statement is then prepared afresh under a new name on each connection's
 * next use (the stale one is freed with its connection); the call that found it stale fails, as any statement
 * whose table changed under it would.
 */
function isStale(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined) return true;
  if (state === '0A000') return /cached plan must not change result type/.test(errorMessage(err));
  return state === '26000';
}

export function preparingPool(pool: pg.Pool): PostgresPool {
  /** Marked text → the name it is prepared under; a new generation when the prepared one went stale. */
  const names = new Map<string, { name: string; generation: number }>();
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    // What Kysely would call without us; node-postgres' client is one (Kysely takes a pg.Pool as it is).
    const plain: PostgresPoolClient = client;
    const run = async <R>(text: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> => {
      if (!text.startsWith(PREPARED)) return plain.query<R>(text, parameters);
      let statement = names.get(text);
      if (!statement) {
        statement = { name: nameOf(text, 0), generation: 0 };
        names.set(text, statement);
      }
      const { name } = statement;
      try {
        // node-postgres' result, as Kysely reads it from an unnamed query (its `command` is a plain string).
        return (await client.query<R & pg.QueryResultRow>({
          name,
          text,
          values: [...parameters],
        })) as PostgresQueryResult<R>;
      } catch (err) {
        if (statement.name === name && isStale(err)) {
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
