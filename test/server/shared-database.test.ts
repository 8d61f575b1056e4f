import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, startServer, tempWorkspace, type TestServer } from './helpers';

// Two servers on one database: each keeps the lead states it wrote, and must
// notice when the other has written a lead since.
let first: TestServer;
let second: TestServer;

beforeAll(async () => {
  const workspace = await tempWorkspace();
  first = await startServer({ workspace, keep: true });
  second = await startServer({ workspace });
});
afterAll(async () => {
  await first.close();
  await second.close();
});

const post = (server: TestServer, body: unknown) => server.call('POST', '/v1/events', { body });

describe('two servers on one database', () => {
  it('evaluates a lead on its stored state after the other server wrote it', async () => {
    await post(first, event('shared', 'email_open', 0));
    await post(second, event('shared', 'email_click', 10));
    const reply = await post(first, event('shared', 'email_open', 20));
    expect(reply.status).toBe(201);
    expect(reply.body.lead.eventCount).toBe(3);
    expect(reply.body.explanation.score.before.engagement).toBe(15);
  });

  it('gives the same lead whether its state came from memory or from the database', async () => {
    const types = ['email_open', 'site_visit', 'email_click', 'webinar_attended', 'email_open', 'site_visit'];
    let fromMemory;
    let fromDatabase;
    for (const [i, type] of types.entries()) {
      // One lead always on the first server (its own writes), the other alternating between both.
      fromMemory = (await post(first, event('memory', type, i * 600))).body.lead;
      fromDatabase = (await post(i % 2 === 0 ? first : second, event('database', type, i * 600))).body.lead;
    }
    expect({ ...fromDatabase, id: 'memory' }).toEqual(fromMemory);
  });
});
