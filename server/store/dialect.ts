/**
 * The only place SQLite and PostgreSQL differ: which Kysely dialect the store
 * is given. A `postgres://` (or `postgresql://`) URL selects PostgreSQL; anything
 * else is a SQLite file path, whose directory is created if missing.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { PostgresDialect, SqliteDialect, type Dialect } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenedDialect {
  name: DialectName;
  dialect: Dialect;
  /** Where the data lives, for logs: a file path, or the URL without its password. */
  location: string;
}

/** SQLite page cache, in KiB. */
const SQLITE_CACHE_KIB = 64 * 1024;
/** WAL pages between automatic checkpoints (SQLite's default is 1,000). */
const SQLITE_CHECKPOINT_PAGES = 10_000;

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Builds the Kysely dialect for a `--db` value. */
export function openDialect(db: string): OpenedDialect {
  if (POSTGRES_URL.test(db)) {
    const url = new URL(db);
    if (url.password) url.password = '***';
    return { name: 'postgres', dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db }) }), location: url.toString() };
  }
  const file = resolve(db);
  mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  // WAL with synchronous=NORMAL: a commit has been written to the WAL file (in
  // the OS page cache) before it returns, so it survives the process being
  // killed (kill -9), which is the durability the API promises; only a power
  // loss or OS crash could lose the last commits. FULL would fsync every commit.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  // Lead rows are rewritten on every event: a page cache that holds the working
  // set, and fewer, larger checkpoints, keep that from becoming random I/O.
  database.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  database.pragma(`wal_autocheckpoint = ${SQLITE_CHECKPOINT_PAGES}`);
  return { name: 'sqlite', dialect: new SqliteDialect({ database }), location: file };
}
