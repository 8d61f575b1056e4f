/**
 * Time-based changes on a running server: the scheduler applies dormancy,
 * recycling and decay across a band as stored ticks, with the server's clock
 * moved by the test instead of waited for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseServeArgs, serve } from '../../server/index';
import { ADMIN_KEY, PG_URL, call, queryRows, removeWorkspace, tempWorkspace, type Reply, type Workspace } from './helpers';
import { leadsAndRecomputation } from './processes';

const DAY = 86_400_000;
const START = Date.parse('2026-06-01T09:00:00.000Z');

/** A clock the test moves. */
function testClock(at = START) {
  let time = at;
  return { now: () => new Date(time), set: (to: number) => (time = to), advance: (ms: number) => (time += ms) };
}

interface ClockedServer {
  url: string;
  call: (method: string, path: string, body?: unknown) => Promise<Reply>;
  applyDueChanges(): Promise<number>;
  close(): Promise<void>;
}

let workspace: Workspace | undefined;
const running: ClockedServer[] = [];

async function start(clock: ReturnType<typeof testClock>): Promise<ClockedServer> {
  workspace ??= await tempWorkspace();
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    db: workspace.db,
    rulesDir: workspace.rulesDir,
    adminKey: ADMIN_KEY,
    log: false,
    now: clock.now,
    // Runs once at start; the test applies due changes itself after that.
    tickEveryMs: 3_600_000,
  });
  const url = server.url.replace('localhost', '127.0.0.1');
  const handle: ClockedServer = {
    url,
    call: (method, path, body) => call(url, method, path, body === undefined ? {} : { body }),
    applyDueChanges: () => server.applyDueChanges(),
    close: async () => {
      running.splice(running.indexOf(handle), 1);
      await server.close();
    },
  };
  running.push(handle);
  // The run that starts with the server: wait for it, so that no run goes on behind the test's back.
  await server.applyDueChanges();
  return handle;
}

afterEach(async () => {
  for (const server of [...running]) await server.close();
  if (workspace) await removeWorkspace(workspace);
  workspace = undefined;
});

function at(time: number): string {
  return new Date(time).toISOString();
}

async function send(server: ClockedServer, leadId: string, type: string, time: number, properties: Record<string, unknown> = {}) {
  const reply = await server.call('POST', '/v1/events', {
    id: `${leadId}-${type}-${time}`,
    leadId,
    type,
    occurredAt: at(time),
    properties,
  });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

describe('dormancy without a further event', () => {
  it('makes a lead whose last activity is 100 days in the past dormant, with a tick dated when it fell due', async () => {
    const clock = testClock();
    const server = await start(clock);
    const lastActivity = START - 100 * DAY;
    await send(server, 'quiet', 'email_click', lastActivity);
    expect((await server.call('GET', '/v1/leads/quiet')).body.lead.stage).toBe('inquiry');

    expect(await server.applyDueChanges()).toBe(1);

    const { body } = await server.call('GET', '/v1/leads/quiet');
    expect(body.lead.stage).toBe('dormant');
    const tick = body.timeline.at(-1);
    expect(tick).toMatchObject({ type: 'tick', occurredAt: at(lastActivity + 90 * DAY), stageAfter: 'dormant' });
    expect(body.stageHistory.at(-1)).toMatchObject({ from: 'inquiry', to: 'dormant', transitionId: 'went-dormant', eventId: tick.eventId });
    expect(await server.applyDueChanges()).toBe(0);
  });

  it('applies nothing before the change is due, and the change once the clock reaches it', async () => {
    const clock = testClock();
    const server = await start(clock);
    await send(server, 'ana', 'email_click', START);
    clock.advance(89 * DAY);
    expect(await server.applyDueChanges()).toBe(0);
    expect((await server.call('GET', '/v1/leads/ana')).body.lead.stage).toBe('inquiry');
    clock.advance(DAY);
    expect(await server.applyDueChanges()).toBe(1);
    expect((await server.call('GET', '/v1/leads/ana')).body.lead.stage).toBe('dormant');
  });

  it('moves a warm lead to cold on the day decay takes it below the band, then dormant', async () => {
    const clock = testClock();
    const server = await start(clock);
    for (const [i, type] of ['email_click', 'webinar_attended', 'email_open'].entries())
      await send(server, 'warm', type, START + i * 60_000);
    clock.advance(120 * DAY);
    expect(await server.applyDueChanges()).toBe(2);
    const { body } = await server.call('GET', '/v1/leads/warm');
    const ticks = body.timeline.filter((entry: { type: string }) => entry.type === 'tick');
    // 35 × 0.5^(7/30) = 29.82: cold 7 days after the last activity; dormant after 90.
    expect(ticks.map((t: { occurredAt: string }) => t.occurredAt)).toEqual([at(START + 120_000 + 7 * DAY), at(START + 120_000 + 90 * DAY)]);
    expect(body.lead).toMatchObject({ stage: 'dormant', band: 'cold' });
  });

  it('leaves every lead equal to a recomputation from its stored events, ticks included', async () => {
    const clock = testClock();
    const server = await start(clock);
    for (let i = 0; i < 20; i++) await send(server, `lead-${i}`, i % 2 ? 'webinar_attended' : 'email_open', START + i * DAY);
    clock.advance(200 * DAY);
    expect(await server.applyDueChanges()).toBeGreaterThanOrEqual(20);
    // A late event before the ticks: the lead is recomputed from its history, ticks and all.
    await send(server, 'lead-3', 'demo_request', START + 4 * DAY);
    const { stored, recomputed } = await leadsAndRecomputation(workspace!);
    expect(stored.size).toBe(20);
    for (const [id, state] of stored) expect(state, id).toEqual(recomputed.get(id));
  });
});

describe('catching up after downtime', () => {
  it('applies on restart what fell due while the server was down', async () => {
    const clock = testClock();
    let server = await start(clock);
    await send(server, 'away', 'email_open', START);
    await server.close();
    clock.advance(95 * DAY);
    server = await start(clock);
    // The first run starts with the server; this waits for it.
    await server.applyDueChanges();
    expect((await server.call('GET', '/v1/leads/away')).body.lead.stage).toBe('dormant');
  });
});

describe('dormant customers', () => {
  it('go dormant a year after their last deal and come back to sales with their past deals', async () => {
    const clock = testClock();
    const server = await start(clock);
    const deals = [{ closedAt: at(START - 400 * DAY), amount: 12_000 }];
    await send(server, 'acme', 'lead_updated', START - 400 * DAY, { company: 'Acme', pastDeals: deals });
    await send(server, 'acme', 'demo_request', START - 399 * DAY);
    await send(server, 'acme', 'deal_won', START - 398 * DAY, { amount: 5_000 });
    expect((await server.call('GET', '/v1/leads/acme')).body.lead.stage).toBe('won');

    expect(await server.applyDueChanges()).toBeGreaterThanOrEqual(1);
    const dormant = (await server.call('GET', '/v1/leads/acme')).body;
    expect(dormant.lead.stage).toBe('dormant');
    expect(dormant.stageHistory.at(-1)).toMatchObject({ to: 'dormant', transitionId: 'customer-went-dormant', at: at(START - 33 * DAY) });

    await send(server, 'acme', 'demo_request', START);
    const handOff = (await server.call('GET', '/v1/leads/acme/handoff')).body;
    expect(handOff).toMatchObject({ stage: 'sql', customer: true, pastDeals: deals, basicInfo: { company: 'Acme' } });

    const kpis = await server.call('GET', `/v1/kpis?from=${at(START - 500 * DAY)}&to=${at(START + DAY)}`);
    expect(kpis.body.dormantToOpportunity).toMatchObject({ count: 1, converted: 1 });
  });
});

describe('score as of now', () => {
  it('shows the decayed score beside the score at the last event, in the lead and in lists', async () => {
    const clock = testClock();
    const server = await start(clock);
    await send(server, 'fading', 'webinar_attended', START);
    clock.advance(30 * DAY);
    const { body } = await server.call('GET', '/v1/leads/fading');
    expect(body.lead.score.total).toBe(20);
    expect(body.now).toEqual({ score: { total: 10, fit: 0, engagement: 10 }, band: 'cold' });
    const list = await server.call('GET', '/v1/leads');
    expect(list.body.leads[0]).toMatchObject({ id: 'fading', score: 20, scoreNow: 10, bandNow: 'cold' });
  });
});

describe('stored due times', () => {
  it('are indexed per lead, and never for a lead time cannot change', async () => {
    const clock = testClock();
    const server = await start(clock);
    await send(server, 'gone', 'disqualified', START, { reason: 'spam' });
    await send(server, 'here', 'email_open', START);
    const rows = await queryRows<{ id: string; due_at: string }>(workspace!, 'select id, due_at from leads order by id');
    expect(rows).toEqual([
      { id: 'gone', due_at: '9999-12-31T23:59:59.999Z' },
      { id: 'here', due_at: at(START + 90 * DAY) },
    ]);
  });
});

describe.skipIf(!PG_URL)('several servers on one PostgreSQL database', () => {
  it('apply each due change once when their schedulers run at the same time', async () => {
    const clock = testClock();
    const first = await start(clock);
    const second = await start(clock);
    for (let i = 0; i < 30; i++) await send(i % 2 ? first : second, `shared-${i}`, 'email_open', START + i * 60_000);
    clock.advance(100 * DAY);
    const [a, b] = await Promise.all([first.applyDueChanges(), second.applyDueChanges()]);
    expect(a + b).toBe(30);
    const ticks = await queryRows<{ n: number }>(workspace!, "select count(*) as n from events where type = 'tick'");
    expect(Number(ticks[0]!.n)).toBe(30);
  });
});

describe('serve --tick-every', () => {
  it('reads a duration and refuses what is not one', () => {
    expect(parseServeArgs(['--tick-every', '30s'])).toEqual({ tickEveryMs: 30_000 });
    expect(parseServeArgs(['--tick-every', '1m'])).toEqual({ tickEveryMs: 60_000 });
    expect(parseServeArgs(['--tick-every', '250ms'])).toEqual({ tickEveryMs: 250 });
    expect(parseServeArgs(['--tick-every', 'off'])).toEqual({ tickEveryMs: 0 });
    expect(() => parseServeArgs(['--tick-every', 'soon'])).toThrow(/--tick-every/);
    expect(() => parseServeArgs(['--tick-every', '0s'])).toThrow(/--tick-every/);
  });
});
