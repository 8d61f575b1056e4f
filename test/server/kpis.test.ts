import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpiReply } from '../../server/api-schemas';
import { event, events, startServer, type TestServer } from './helpers';

let server: TestServer;
let salesKey: string;
let openapi: any;

const PERIOD = 'from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z';
const FIGURES = [
  'period',
  'funnel',
  'conversion',
  'dormantToOpportunity',
  'hotLeadConversion',
  'opportunityToClose',
  'medianDaysInStage',
  'followUp',
  'definitions',
];
/** A schema of the document, following a `$ref` (alone or under `allOf`) to its component. */
function resolved(schema: any): any {
  const ref: string | undefined = schema.$ref ?? schema.allOf?.find((part: any) => part.$ref)?.$ref;
  return ref ? openapi.components.schemas[ref.split('/').pop()!] : schema;
}

beforeAll(async () => {
  server = await startServer();
  const ingestKey = await server.key('ingest');
  salesKey = await server.key('sales');
  // One lead handed to sales (demo and contact requests) and accepted, one that only opened an email.
  const sent = [...events('handed-off', ['demo_request', 'contact_request']), event('browsing', 'email_open', 0)];
  const reply = await server.call('POST', '/v1/events/batch', { key: ingestKey, body: { events: sent } });
  if (reply.status !== 200 || reply.body.rejected > 0) throw new Error(`events refused: ${reply.text}`);
  const accepted = await server.call('POST', '/v1/leads/handed-off/accept', { key: salesKey, body: { occurredAt: sent[1]!.occurredAt } });
  if (accepted.status !== 201) throw new Error(`feedback refused: ${accepted.text}`);
  openapi = (await server.call('GET', '/openapi.json', { key: null })).body;
});
afterAll(() => server.close());

describe('GET /v1/kpis in the API description', () => {
  it('names every figure of the reply, each one required', () => {
    const reply = resolved(openapi.paths['/v1/kpis'].get.responses['200'].content['application/json'].schema);
    expect(Object.keys(reply.properties)).toEqual(FIGURES);
    expect(reply.required).toEqual(FIGURES);
  });

  it('describes each figure: a rate’s count, converted and rate, the stages of the funnel, the follow-up times', () => {
    const { properties } = openapi.components.schemas.Kpis;
    expect(Object.keys(resolved(properties.hotLeadConversion).properties)).toEqual(['count', 'converted', 'rate']);
    expect(Object.keys(properties.funnel.properties)).toEqual(expect.arrayContaining(['inquiry', 'mql', 'sal', 'sql', 'won', 'lost']));
    expect(Object.keys(properties.followUp.properties)).toEqual(['handOffs', 'followedUp', 'medianHours']);
    expect(properties.funnel.description).toBe('Leads that entered each stage during the period.');
  });

  it('gives the challenger’s figures and those of the same leads under the active version the same schema', () => {
    const { challenger, active } = openapi.components.schemas.ChallengerKpis.properties;
    for (const side of [challenger, active]) {
      expect(JSON.stringify(side)).toContain('#/components/schemas/Kpis');
      expect(JSON.stringify(side)).toContain('"null"');
    }
  });
});

describe('GET /v1/kpis against its description', () => {
  it('answers with exactly the documented figures', async () => {
    const { status, body } = await server.call('GET', `/v1/kpis?${PERIOD}`, { key: salesKey });
    expect(status).toBe(200);
    expect(body.followUp).toEqual({ handOffs: 1, followedUp: 1, medianHours: 0 });
    // Parsing drops whatever the schema does not name, so nothing may be left undocumented.
    expect(kpiReply.parse(body)).toEqual(body);
  });
});
