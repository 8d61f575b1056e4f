/**
 * One server per SQLite file. SQLite takes one writer at a time, and a second
 * server on the same file would only wait for the first's locks and answer
 * "database is locked"; several servers share a PostgreSQL database instead.
 * The lock is an exclusive SQLite transaction on a file beside the database,
 * held for the life of the server: an operating-system lock, released when
 * the process ends in any way (kill -9 included), so a crash leaves no stale
 * lock behind. Tools that open the file for a moment (import, replay) do not
 * take it.
 */
import SqliteDatabase from 'better-sqlite3';

/** A second server was started on a SQLite file that a running server holds. */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
  readonly code = 'database-in-use';

  constructor(readonly file: string) {
    super(
      `Another Leadflow server is running on ${file}. A SQLite database is served by one server at a time; ` +
        'to run several servers, give them one PostgreSQL database (--db postgres://…, see docs/deploy.md).',
    );
  }
}

/** The lock file of a SQLite database file. */
export function serverLockFile(file: string): string {
  return `${file}.server-lock`;
}

/** Takes the server lock of a SQLite file or throws {@link DatabaseInUseError}; returns its release. */
export function holdServerLock(file: string): () => void {
  // No busy timeout: a held lock is refused at once.
  const lock = new SqliteDatabase(serverLockFile(file), { timeout: 0 });
  try {
    lock.exec('begin exclusive');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DatabaseInUseError(file);
    throw error;
  }
  // Closing ends the transaction and its lock.
  return () => lock.close();
}
