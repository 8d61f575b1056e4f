import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PG_URL, event, startServer, type TestServer } from './helpers';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe.skipIf(PG_URL)('SQLite checkpoints', () => {
  it('copies committed pages back into the database file while the server runs, so the WAL stays short', async () => {
    // 20 batches write thousands of pages: a WAL left to the serving connection's fallback would hold them all.
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 200 }, (_, i) => event(`lead-${i}`, 'email_open', batch * 200 + i));
      expect((await server.call('POST', '/v1/events/batch', { body: { events } })).status).toBe(200);
      await sleep(50);
    }
    expect(statSync(`${server.db}-wal`).size).toBeLessThan(8 * 1024 * 1024);
  });
});
