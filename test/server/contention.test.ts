import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Activation } from '../../server/activation';
import { KeyRing } from '../../server/auth';
import { Comparisons } from '../../server/comparisons/registry';
import { INGEST_RETRY, MAX_GROUP_COMMIT } from '../../server/config';
import { Ingestion } from '../../server/ingestion';
import { DerivedLeads } from '../../server/lead-derivation';
import { RuleFiles } from '../../server/rule-files';
import { createApp } from '../../server/index';
import { StoreBusyError, openStore, retryContended, type Store } from '../../server/store/index';
import { ADMIN_KEY, event, removeWorkspace, tempWorkspace, type Workspace } from './helpers';

/** A database error as the drivers raise it. */
const failure = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });
const QUICK = { attempts: 4, firstPauseMs: 1 };

describe('a transaction that loses to another writer', () => {
  it('runs again after a deadlock, a serialization failure or a busy file, until it commits', async () => {
    const errors = [failure('40P01'), failure('40001'), failure('SQLITE_BUSY')];
    let calls = 0;
    const result = await retryContended(async () => {
      calls++;
      const error = errors.shift();
      if (error) throw error;
      return 'committed';
    }, QUICK);
    expect(result).toBe('committed');
    expect(calls).toBe(4);
  });

  it('gives up with StoreBusyError once every attempt has lost', async () => {
    let calls = 0;
    const attempt = retryContended(() => {
      calls++;
      return Promise.reject(failure('40P01'));
    }, QUICK);
    await expect(attempt).rejects.toBeInstanceOf(StoreBusyError);
    expect(calls).toBe(QUICK.attempts);
  });

  it('passes any other error on at once', async () => {
    let calls = 0;
    const attempt = retryContended(() => {
      calls++;
      return Promise.reject(failure('42P01'));
    }, QUICK);
    await expect(attempt).rejects.toThrow('failed with 42P01');
    expect(calls).toBe(1);
  });
});

// The API over a database that stays busy: the write lock held elsewhere for
// longer than every attempt waits (a real one would take SQLite's busy timeout
// for each attempt), stood in for by a store whose transactions fail busy.
describe('the API over a database busy through every attempt', () => {
  let workspace: Workspace;
  let store: Store;
  let attempts = 0;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    workspace = await tempWorkspace();
    store = await openStore(workspace.db);
    const busy: Store = {
      ...store,
      transaction: () => {
        attempts++;
        return Promise.reject(failure('SQLITE_BUSY'));
      },
    };
    const now = () => new Date();
    const files = new RuleFiles(workspace.rulesDir);
    const activation = await Activation.start(busy, files, now);
    const keys = new KeyRing(busy);
    await keys.ensureAdmin(ADMIN_KEY, now().toISOString());
    const logger = pino({ level: 'silent' });
    app = createApp({
      store: busy,
      files,
      activation,
      keys,
      ingestion: new Ingestion(busy, activation, now, MAX_GROUP_COMMIT),
      comparisons: new Comparisons(busy, logger, now),
      derived: new DerivedLeads(),
      logger,
      now,
    });
  });
  afterAll(async () => {
    await store.close();
    await removeWorkspace(workspace);
  });

  it('answers 503 with Retry-After, not 500, after trying every attempt', async () => {
    const response = await app.request('/v1/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(event('busy', 'email_open', 0)),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: '/problems/unavailable', status: 503 });
    expect(attempts).toBe(INGEST_RETRY.attempts);
  });
});
