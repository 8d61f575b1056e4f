/**
 * Storage faults, named: a full disk, a read-only file, an I/O error, a
 * database file removed or replaced under a running server, a database
 * missing at start that existed before. Each is reported with its cause (in
 * the log, in `/health`, in a 503) instead of as an internal error.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Store } from './store/index';

export type StorageFaultKind = 'disk-full' | 'read-only' | 'io-error' | 'file-missing' | 'file-replaced';

/** A fault of the storage under the server, with the cause an operator can act on. */
export class StorageFault extends Error {
  override name = 'StorageFault';
  constructor(
    readonly kind: StorageFaultKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const SQLITE_CODES: Array<[RegExp, StorageFaultKind, string]> = [
  [/^SQLITE_FULL/, 'disk-full', 'the disk holding the database is full'],
  [/^SQLITE_READONLY/, 'read-only', 'the database file is read-only'],
  [/^SQLITE_(IOERR|CANTOPEN|CORRUPT|NOTADB)/, 'io-error', 'the database file cannot be read or written'],
];
/** PostgreSQL SQLSTATEs: disk full, out of memory/resources, read-only transaction (a standby), I/O error. */
const POSTGRES_CODES: Record<string, [StorageFaultKind, string]> = {
  '53100': ['disk-full', 'the disk holding the database is full'],
  '25006': ['read-only', 'the database accepts no writes (read-only, or a standby)'],
  '58030': ['io-error', 'the database reports an I/O error'],
};

/** The storage fault an error from the store stands for, if any. */
export function storageFault(error: unknown): StorageFault | undefined {
  if (error instanceof StorageFault) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  for (const [pattern, kind, cause] of SQLITE_CODES) {
    if (pattern.test(code)) return new StorageFault(kind, `${cause} (${code})`, { cause: error });
  }
  const known = POSTGRES_CODES[code];
  return known && new StorageFault(known[0], `${known[1]} (SQLSTATE ${code})`, { cause: error });
}

/** A SQLite file's identity: the same path may come to name another file. */
function identity(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

const opened = new WeakMap<Store, string | undefined>();

/**
 * How long a storage fault met by a request keeps `/health` at 503 though its
 * own small write succeeds: on a full disk a one-row write may still fit where
 * the requests' writes do not.
 */
export const STORAGE_FAULT_KEPT_MS = 30_000;
const lastFaults = new WeakMap<Store, { fault: StorageFault; at: number }>();

/** Records a storage fault a request met, for `/health` to report. */
export function noteStorageFault(store: Store, fault: StorageFault, at: Date): void {
  lastFaults.set(store, { fault, at: at.getTime() });
}

/** Remembers which file a SQLite store opened (call right after opening it). */
export function rememberDatabaseFile(store: Store): void {
  if (store.dialect === 'sqlite') opened.set(store, identity(store.location));
}

/**
 * Checks that the store's file is still the one it opened, that it can write
 * (a row in `meta`), and that no request met a storage fault lately: what
 * `/health` reports. Throws a StorageFault.
 */
export async function checkStorage(store: Store, at: string): Promise<void> {
  if (store.dialect === 'sqlite' && opened.has(store)) {
    const now = identity(store.location);
    if (now === undefined) {
      throw new StorageFault('file-missing', `the database file ${store.location} was removed; writes go to a file no longer on disk`);
    }
    if (now !== opened.get(store))
      throw new StorageFault('file-replaced', `the database file ${store.location} was replaced by another file`);
  }
  try {
    await store.read.setMeta('health_checked_at', at);
  } catch (error) {
    throw storageFault(error) ?? error;
  }
  const last = lastFaults.get(store);
  if (last && Date.parse(at) - last.at < STORAGE_FAULT_KEPT_MS) {
    throw new StorageFault(last.fault.kind, `${last.fault.message}, met by a request at ${new Date(last.at).toISOString()}`);
  }
}

/** The file beside a SQLite database saying it was created, so a restart can tell a lost database from a new one. */
export const markerOf = (file: string) => `${file}.created`;

/**
 * Before a SQLite database is opened: refuses to create an empty one where a
 * database existed (its marker is there, the file is not). Returns a function
 * that marks the database, to call once it is open.
 */
export function guardDatabaseFile(db: string, at: string): () => void {
  if (/^postgres(ql)?:\/\//.test(db)) return () => {};
  const file = resolve(db);
  const marker = markerOf(file);
  if (!existsSync(file) && existsSync(marker)) {
    throw new StorageFault(
      'file-missing',
      `The database file ${file} is missing, but a database was created there before (${marker}). ` +
        'Restore the file from a backup, or remove the marker to start with an empty database.',
    );
  }
  // A database from before markers existed gets one too.
  return () => {
    if (!existsSync(marker)) writeFileSync(marker, `Leadflow database ${file}, marked ${at}; keep this file beside it.\n`);
  };
}
