import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers';

let server: TestServer;
let ingestKey: string;

beforeAll(async () => {
  server = await startServer();
  ingestKey = await server.key('ingest');
  const leads: Array<[string, Record<string, unknown>]> = [
    ['acme', { companySize: 250, industry: 'retail', newsletter: true }],
    ['globex', { companySize: 40, industry: 'software' }],
    ['initech', { companySize: 'about 30', budgetYen: 5_000_000 }],
  ];
  for (const [id, attributes] of leads) {
    const { status } = await server.call('PUT', `/v1/leads/${id}/attributes`, { key: ingestKey, body: { attributes } });
    expect(status).toBe(201);
  }
});
afterAll(() => server.close());

describe('GET /v1/attributes', () => {
  it('names the attributes stored leads have, most common first, with the type most of their values have', async () => {
    const { status, body } = await server.call('GET', '/v1/attributes', { key: await server.key('editor') });
    expect(status).toBe(200);
    expect(body).toEqual({
      leads: 3,
      attributes: [
        { name: 'companySize', leads: 3, type: 'number' },
        { name: 'industry', leads: 2, type: 'text' },
        { name: 'budgetYen', leads: 1, type: 'number' },
        { name: 'newsletter', leads: 1, type: 'boolean' },
      ],
    });
  });

  it('is refused to a source system’s key', async () => {
    expect((await server.call('GET', '/v1/attributes', { key: ingestKey })).status).toBe(403);
  });
});
