import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { type ListenHandlers, listenOnPglite, listenOnPostgres, type Subscription } from './listen.js';
import { migrationProvider } from './migrations/index.js';
import { openPglite } from './pglite.js';
import { preparingPool } from './prepared.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
/** Repositories take either the database or an open transaction as their first argument. */
export type Executor = Kysely<Database> | Transaction<Database>;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// bigint money columns are far below 2^53 minor units; read them as numbers, not strings.
pg.types.setTypeParser(INT8_OID, (value: string) => Number.parseInt(value, 10));

export interface DatabaseHandle {
  db: Db;
  kind: 'pg' | 'pglite';
  /** LISTEN on `channel` (see src/db/listen.ts): NOTIFYs from any process on this database arrive here. */
  listen(channel: string, handlers: ListenHandlers): Promise<Subscription>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** In-memory PGlite (tests). */
  inMemory?: boolean;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 20,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => {});
    // Nor may a checked-out one: pg-pool removes its listener while a client is in use, and a client whose
    // connection drops mid-query (Postgres restarted, backend terminated, network cut) emits 'error' besides
    // rejecting the query, which is an uncaught exception without a listener. The query's caller gets the
    // error; the pool discards the broken client when it is released.
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
    const url = options.databaseUrl;
    return {
      db,
      kind: 'pg',
      listen: async (channel, handlers) => listenOnPostgres(url, channel, handlers),
      close: () => db.destroy(),
    };
  }
  let dataDir: string | undefined;
  if (!options.inMemory) {
    dataDir = path.resolve(options.dataDir, 'pglite');
    await mkdir(dataDir, { recursive: true });
  }
  const pglite = await openPglite(dataDir, {
    // The admin search's trigram indexes (migration 2026_12_04_1610_order_text_search).
    extensions: { pg_trgm },
    parsers: {
      [INT8_OID]: (value: string) => Number.parseInt(value, 10),
      [NUMERIC_OID]: (value: string) => value,
    },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    listen: (channel, handlers) => listenOnPglite(pglite, channel, handlers),
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
