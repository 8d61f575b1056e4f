/** The lead attributes stored leads actually have, so the editor can tell a new attribute from a misspelled one. */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { route } from '../http';

/** How many of the most recently updated leads are read: enough to see every attribute sources send, cheap to read. */
const SAMPLE_SIZE = 500;

const attributeList = z
  .object({
    leads: z.number().int().describe('Leads read: the most recently updated ones'),
    attributes: z.array(
      z.object({
        name: z.string(),
        leads: z.number().int().describe('How many of the leads read have it'),
        type: z.enum(['number', 'text', 'boolean', 'other']).describe('The type most of its values have'),
      }),
    ),
  })
  .openapi('AttributeList');

type ValueType = z.infer<typeof attributeList>['attributes'][number]['type'];

function typeOf(value: unknown): ValueType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'boolean';
  return 'other';
}

export function attributeRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/v1/attributes',
      tag: 'Leads',
      summary: 'The attribute names of recently updated leads, with how many have each and the type of their values',
      roles: ['sales', 'editor'],
      responses: { 200: { description: 'Attributes, most common first', schema: attributeList } },
    },
    async (c) => {
      const { read } = c.var.services.store;
      const rows = await read.listLeads({ limit: SAMPLE_SIZE });
      const leads = await read.leadsByIds(rows.map((row) => row.id));
      const seen = new Map<string, { leads: number; types: Map<ValueType, number> }>();
      for (const { state } of leads.values()) {
        for (const [name, value] of Object.entries(state.attributes)) {
          const entry = seen.get(name) ?? { leads: 0, types: new Map<ValueType, number>() };
          entry.leads += 1;
          entry.types.set(typeOf(value), (entry.types.get(typeOf(value)) ?? 0) + 1);
          seen.set(name, entry);
        }
      }
      const attributes = [...seen]
        .map(([name, { leads: count, types }]) => ({
          name,
          leads: count,
          type: [...types].sort((a, b) => b[1] - a[1])[0]![0],
        }))
        .sort((a, b) => b.leads - a.leads || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return c.json({ leads: leads.size, attributes });
    },
  );
}
