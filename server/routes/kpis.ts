/** KPIs over a period: funnel, conversions, dormant-to-opportunity, hot-lead conversion, win rate, time in stage, follow-up time. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { anyObject, kpiQuery } from '../api-schemas';
import type { AppEnv } from '../context';
import { route } from '../http';
import { invalid } from '../problem';
import { computeKpis } from '../kpis';
import { normaliseTime } from '../lead-history';

export function kpiRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/v1/kpis',
      tag: 'KPIs',
      summary: 'Lifecycle KPIs over a period [from, to)',
      roles: ['sales', 'editor'],
      query: kpiQuery,
      responses: { 200: { description: 'Figures with their definitions', schema: anyObject } },
    },
    async (c, { query }) => {
      const period = { from: normaliseTime(query.from), to: normaliseTime(query.to) };
      if (period.from >= period.to) throw invalid([{ path: 'query.to', message: 'must be after from' }]);
      const { store } = c.var.services;
      const [changes, outcomes] = await Promise.all([store.read.stageChangesUntil(period.to), store.read.outcomes({ until: period.to })]);
      return c.json(computeKpis(changes, outcomes, period));
    },
  );
}
