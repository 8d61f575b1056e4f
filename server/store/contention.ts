/**
 * Transactions that lose to another writer: a deadlock or serialization
 * failure (PostgreSQL), a busy or locked database (SQLite), the same event id
 * stored first by another transaction, or a lock table full for the moment.
 * None of these is the client's fault or the server's; the transaction is run
 * again, and only when the contention outlasts every attempt does the caller
 * get a {@link StoreBusyError}, which the API answers with 503 and Retry-After.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** PostgreSQL SQLSTATEs and SQLite codes after which the same transaction may simply run again. */
const RETRYABLE_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '53200', // out_of_memory: also "out of shared memory" when the lock table is full
  '23505', // unique_violation: another transaction stored the same key first; the next attempt sees it
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_LOCKED',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  'SQLITE_CONSTRAINT_UNIQUE',
]);

/** Whether a failed transaction lost to another writer and may be run again unchanged. */
export function isContention(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

/** The database stayed contended through every attempt; the request may be sent again later. */
export class StoreBusyError extends Error {
  override name = 'StoreBusyError';
  readonly code = 'store-busy';

  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`the database was contended through ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Pause before the second attempt, in ms; it doubles with each further one, with random jitter. */
  firstPauseMs: number;
}

/**
 * Runs `transaction` until it commits, again after each contention failure
 * (with a growing, jittered pause so that the losers do not meet again), up
 * to `policy.attempts` times. Any other error is passed on at once.
 */
export async function retryContended<T>(transaction: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isContention(error)) throw error;
      if (attempt >= policy.attempts) throw new StoreBusyError(attempt, error);
      const pause = policy.firstPauseMs * 2 ** (attempt - 1);
      await sleep(pause / 2 + Math.random() * pause);
    }
  }
}
