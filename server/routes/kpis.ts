/** KPIs over a period: funnel, conversions, dormant-to-opportunity, hot-lead conversion, win rate, time in stage, follow-up time. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { challengerKpiReply, kpiQuery, kpiReply } from '../api-schemas';
import { challengerKpis } from '../challenger-kpis';
import type { AppEnv } from '../context';
import { route } from '../http';
import { invalid } from '../problem';
import { computeKpis, type Period } from '../kpis';
import { normaliseTime } from '../lead-history';

/** The query's period, normalised; 400 when it ends before it starts. */
function periodOf(query: { from: string; to: string }): Period {
  const period = { from: normaliseTime(query.from), to: normaliseTime(query.to) };
  if (period.from >= period.to) throw invalid([{ path: 'query.to', message: 'must be after from' }]);
  return period;
}

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
      responses: { 200: { description: 'Figures with their definitions', schema: kpiReply } },
    },
    async (c, { query }) => {
      const period = periodOf(query);
      const { store } = c.var.services;
      const [changes, outcomes] = await Promise.all([store.read.stageChangesUntil(period.to), store.read.outcomes({ until: period.to })]);
      return c.json(computeKpis(changes, outcomes, period));
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/kpis/challenger',
      tag: 'KPIs',
      summary: "The shadow challenger's KPIs over a period [from, to), beside the active version's on the same leads",
      description:
        'The figures of GET /v1/kpis computed from the stage histories the challenger built in shadow, and the live figures of the same leads (the leads the challenger has evaluated), with the same sales outcomes. Without a challenger, `version` and the figures are null.',
      roles: ['sales', 'editor'],
      query: kpiQuery,
      responses: { 200: { description: "The challenger's figures and the live figures of the same leads", schema: challengerKpiReply } },
    },
    async (c, { query }) => {
      const { store, activation } = c.var.services;
      return c.json(await challengerKpis(store, activation, periodOf(query)));
    },
  );
}
