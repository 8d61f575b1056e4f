/** Outbound webhooks (admin): subscriptions, their delivery log, redelivery; and the messages described as OpenAPI webhooks. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AppEnv } from '../context';
import { route } from '../http';
import { invalid, notFound } from '../problem';
import { allowedHosts, refusalOf } from '../webhooks/address';
import { WEBHOOK_KINDS } from '../webhooks/kinds';
import {
  deliveryParams,
  deliveryView,
  subscriptionBody,
  subscriptionIdParams,
  subscriptionView,
  webhookMessage,
} from '../webhooks/schemas';
import { listDeliveries, redeliver } from '../webhooks/store';
import { createSubscription, deleteSubscription, getSubscription, listSubscriptions, type Subscription } from '../webhooks/subscriptions';

const TAG = 'Webhooks';
const DELIVERIES_SHOWN = 100;
const SECRET_BYTES = 24;

function view(subscription: Subscription) {
  return { ...subscription, failing: subscription.failingSince !== null };
}

export function webhookRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/webhooks',
      tag: TAG,
      summary: 'Subscribe a URL to kinds of lead change; the reply is the only time the signing secret is shown',
      roles: [],
      body: subscriptionBody,
      responses: { 201: { description: 'Subscribed', schema: subscriptionView.extend({ secret: z.string() }) } },
    },
    async (c, { body }) => {
      const refusal = await refusalOf(body.url, allowedHosts());
      if (refusal) throw invalid([{ path: 'url', message: refusal }]);
      const secret = body.secret ?? `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
      const { store, now } = c.var.services;
      const subscription = await createSubscription(store.read.db, {
        url: body.url,
        events: [...new Set(body.events)],
        filter: body.filter ?? {},
        secret,
        now: now().toISOString(),
      });
      return c.json({ ...view(subscription), secret }, 201);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/webhooks',
      tag: TAG,
      summary: 'List subscriptions (never their secrets)',
      roles: [],
      responses: { 200: { description: 'Subscriptions', schema: z.object({ webhooks: z.array(subscriptionView) }) } },
    },
    async (c) => c.json({ webhooks: (await listSubscriptions(c.var.services.store.read.db)).map(view) }),
  );

  route(
    app,
    {
      method: 'delete',
      path: '/v1/webhooks/{id}',
      tag: TAG,
      summary: 'End a subscription; nothing more is sent to it',
      roles: [],
      params: subscriptionIdParams,
      responses: { 204: { description: 'Ended' }, 404: { description: 'No such subscription' } },
    },
    async (c, { params }) => {
      const { store, now } = c.var.services;
      if (!(await deleteSubscription(store.read.db, params.id, now().toISOString()))) throw notFound(`No subscription "${params.id}".`);
      return c.body(null, 204);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      tag: TAG,
      summary: `A subscription's latest ${DELIVERIES_SHOWN} deliveries with every attempt (status code, latency, error)`,
      roles: [],
      params: subscriptionIdParams,
      responses: {
        200: { description: 'Deliveries, newest first', schema: z.object({ deliveries: z.array(deliveryView) }) },
        404: { description: 'No such subscription' },
      },
    },
    async (c, { params }) => {
      const db = c.var.services.store.read.db;
      if (!(await getSubscription(db, params.id))) throw notFound(`No subscription "${params.id}".`);
      return c.json({ deliveries: await listDeliveries(db, params.id, DELIVERIES_SHOWN) });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      tag: TAG,
      summary: 'Send a delivery again (with the same webhook-id) at the next dispatch, whatever its status',
      roles: [],
      params: deliveryParams,
      responses: { 202: { description: 'Queued' }, 404: { description: 'No such delivery for this subscription' } },
    },
    async (c, { params }) => {
      const { store, now } = c.var.services;
      if (!(await getSubscription(store.read.db, params.id))) throw notFound(`No subscription "${params.id}".`);
      if (!(await redeliver(store.read.db, params.id, params.deliveryId, now().toISOString())))
        throw notFound(`No delivery "${params.deliveryId}" for subscription "${params.id}".`);
      return c.body(null, 202);
    },
  );

  for (const kind of WEBHOOK_KINDS) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: kind,
      tags: [TAG],
      summary: `${kind}: sent to subscriptions of this kind, signed with the Standard Webhooks headers (see docs/webhooks.md)`,
      request: { body: { content: { 'application/json': { schema: webhookMessage } } } },
      responses: { 200: { description: 'Any 2xx acknowledges; anything else is retried with backoff for a day' } },
    });
  }
}
