/**
 * The only place SQLite and PostgreSQL differ: which Kysely dialect the store
 * is given. A `postgres://` (or `postgresql://`) URL selects PostgreSQL; anything
 * else is a SQLite file path, whose directory is created if missing.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { PostgresDialect, SqliteDialect, type Dialect, type SqliteDatabase as SqliteDatabaseLike } from 'kysely';
import { DEFAULT_CHECKPOINT_PAGES, FALLBACK_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES, startCheckpointer } from './checkpointer';
import { holdServerLock } from './server-lock';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenedDialect {
  name: DialectName;
  dialect: Dialect;
  /** Where the data lives, for logs: a file path, or the URL without its password. */
  location: string;
  /** Resolves once everything the dialect started beside its connections has ended (after the Kysely instance is destroyed). */
  ended?: () => Promise<void>;
}

export interface DialectOptions {
  /**
   * For a server: a SQLite file is held for the life of the store, so a second
   * server on it refuses to start ({@link holdServerLock}). PostgreSQL takes
   * any number of servers.
   */
  serverLock?: boolean;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Builds the Kysely dialect for a `--db` value. */
export function openDialect(db: string, options: DialectOptions = {}): OpenedDialect {
  if (POSTGRES_URL.test(db)) {
    const url = new URL(db);
    if (url.password) url.password = '***';
    const pool = new pg.Pool({ connectionString: db });
    // An idle pooled connection can be ended by the server (a restart, a failover, an administrator): the pool drops it and
    // opens another on the next query. Without a listener, pg raises that as an uncaught error and the process would exit.
    pool.on('error', (error) => process.emitWarning(`an idle database connection was closed: ${error.message}`));
    return { name: 'postgres', dialect: new PostgresDialect({ pool }), location: url.toString() };
  }
  const file = resolve(db);
  mkdirSync(dirname(file), { recursive: true });
  const releaseServerLock = options.serverLock ? holdServerLock(file) : () => {};
  const database = new SqliteDatabase(file);
  // WAL with synchronous=NORMAL: a commit has been written to the WAL file (in
  // the OS page cache) before it returns, so it survives the process being
  // killed (kill -9), which is the durability the API promises; only a power
  // loss or OS crash could lose the last commits. FULL would fsync every commit.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread; this connection runs one only if the WAL grows past the fallback.
  database.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const checkpointer = startCheckpointer(file, (error) => {
    process.emitWarning(`SQLite checkpoints are back in the serving connection: ${error.message}`);
    if (database.open) database.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`);
  });
  let stopped: Promise<void> = Promise.resolve();
  const close = () => {
    stopped = checkpointer.stop();
    database.close();
    releaseServerLock();
  };
  return {
    name: 'sqlite',
    dialect: new SqliteDialect({ database: withStatementCache(database, close) }),
    location: file,
    // The checkpoint thread may still be opening its connection when the store closes: a caller removing the files waits for it.
    ended: () => stopped,
  };
}

/** Prepared statements kept per SQL text (SQLite's parse and plan cost more than many executions). */
const STATEMENT_CACHE_SIZE = 500;

/** The ROLLBACK of a transaction SQLite has already ended: nothing to do. */
const NOTHING_TO_ROLL_BACK = {
  reader: false,
  all: () => [],
  iterate: () => [][Symbol.iterator](),
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
};

/**
 * The database as Kysely's SQLite driver sees it, reusing prepared
 * statements. Safe because better-sqlite3 runs each statement to completion
 * before the next starts.
 */
function withStatementCache(database: SqliteDatabase.Database, close: () => void): SqliteDatabaseLike {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close,
    prepare(sql: string) {
      // SQLite ends a transaction itself on some errors (disk full, I/O), even at COMMIT: the ROLLBACK that
      // Kysely sends next would fail ("no transaction is active") and its error would replace the real one.
      if (sql === 'rollback' && !database.inTransaction) return NOTHING_TO_ROLL_BACK;
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * Whether a database error is a unique-key violation (PostgreSQL 23505,
 * SQLite's constraint codes): another transaction stored the same key first.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
