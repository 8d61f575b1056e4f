/**
 * Time-based changes on a running server: the scheduler applies dormancy,
 * recycling and decay across a band as stored ticks, with the server's clock
 * moved by the test instead of waited for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServeArgs, serve } from '../../server/index';
import { ADMIN_KEY, PG_URL, call, eventually, queryRows, removeWorkspace, tempWorkspace, type Reply, type Workspace } from './helpers';
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
    expect(body.nextChange).toEqual({ at: at(START + 90 * DAY), stage: 'dormant', band: 'cold' });
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

/** Writes `version` into the workspace's rules: v1 with the dormancy period changed. */
async function writeVersion(version: string, dormantAfterDays: number): Promise<void> {
  workspace ??= await tempWorkspace();
  const v1 = JSON.parse(readFileSync(join(workspace.rulesDir, 'v1.json'), 'utf8'));
  const lifecycle = { ...v1.lifecycle, timing: { ...v1.lifecycle.timing, dormantAfterDays } };
  writeFileSync(join(workspace.rulesDir, `${version}.json`), JSON.stringify({ ...v1, version, parent: 'v1', lifecycle }));
}

/** Approves `version` for both teams (with a key of each) and activates it through the API. */
async function activate(server: ClockedServer, version: string): Promise<void> {
  for (const [role, team] of [
    ['editor', 'marketing'],
    ['sales', 'sales'],
  ] as const) {
    const key = (await server.call('POST', '/v1/keys', { name: `${role} key`, role })).body.key as string;
    const approval = await call(server.url, 'POST', `/v1/rulesets/${version}/approvals`, { key, body: { team } });
    expect(approval.status, approval.text).toBe(201);
  }
  const reply = await server.call('POST', `/v1/rulesets/${version}/activate`);
  expect(reply.status, reply.text).toBe(200);
}

async function stageOf(server: ClockedServer, leadId: string): Promise<string> {
  return (await server.call('GET', `/v1/leads/${leadId}`)).body.lead.stage;
}

describe('another rule-set version activated', () => {
  it('makes a lead silent for 40 days dormant by the next run when the new version says 30 days, with no event for it', async () => {
    await writeVersion('v2', 100);
    const clock = testClock();
    const server = await start(clock);
    expect((await server.call('GET', '/v1/rulesets')).body.active).toBe('v2');
    await send(server, 'silent', 'email_click', START - 40 * DAY);
    expect(await server.applyDueChanges()).toBe(0);
    expect(await stageOf(server, 'silent')).toBe('inquiry');

    await writeVersion('v3', 30);
    await activate(server, 'v3');
    expect(await server.applyDueChanges()).toBe(1);

    const { body } = await server.call('GET', '/v1/leads/silent');
    expect(body.lead.stage).toBe('dormant');
    expect(body.timeline.map((entry: { type: string }) => entry.type)).toEqual(['email_click', 'tick']);
    expect(body.timeline.at(-1)).toMatchObject({ occurredAt: at(START - 10 * DAY), stageAfter: 'dormant' });
    expect(body.stageHistory.at(-1)).toMatchObject({ from: 'inquiry', to: 'dormant', transitionId: 'went-dormant' });
  });

  it('no longer applies a change the old version foresaw and the new one does not, and keeps the new due time', async () => {
    await writeVersion('v2', 30);
    const clock = testClock();
    const server = await start(clock);
    await send(server, 'patient', 'email_click', START - 20 * DAY);
    await writeVersion('v3', 100);
    await activate(server, 'v3');
    expect((await server.call('GET', '/v1/leads/patient')).body.nextChange).toMatchObject({ at: at(START + 80 * DAY), stage: 'dormant' });
    clock.advance(15 * DAY);
    expect(await server.applyDueChanges()).toBe(0);
    expect(await stageOf(server, 'patient')).toBe('inquiry');
    const rows = await queryRows<{ due_at: string; due_version: string }>(
      workspace!,
      "select due_at, due_version from leads where id = 'patient'",
    );
    expect(rows).toEqual([{ due_at: at(START + 80 * DAY), due_version: 'v3' }]);
  });

  it('applies the due times of the earlier version again after a rollback to it', async () => {
    await writeVersion('v2', 30);
    const clock = testClock();
    const server = await start(clock);
    await writeVersion('v3', 100);
    await activate(server, 'v3');
    // Evaluated under v3: due after 100 days.
    await send(server, 'back', 'email_click', START - 20 * DAY);
    // v2 was active before: it comes back without approvals.
    expect((await server.call('POST', '/v1/rulesets/v2/activate')).status).toBe(200);
    clock.advance(15 * DAY);
    expect(await server.applyDueChanges()).toBe(1);
    const { body } = await server.call('GET', '/v1/leads/back');
    expect(body.lead.stage).toBe('dormant');
    expect(body.timeline.at(-1)).toMatchObject({ type: 'tick', occurredAt: at(START + 10 * DAY) });
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

  it('recompute due times once after an activation made through one of them, and apply each change once', async () => {
    await writeVersion('v2', 100);
    const clock = testClock();
    const first = await start(clock);
    const second = await start(clock);
    for (let i = 0; i < 30; i++) await send(i % 2 ? first : second, `quiet-${i}`, 'email_open', START - 40 * DAY + i * 60_000);
    await writeVersion('v3', 30);
    await activate(first, 'v3');
    await eventually(async () => (await second.call('GET', '/v1/rulesets')).body.active === 'v3');
    const [a, b] = await Promise.all([first.applyDueChanges(), second.applyDueChanges()]);
    expect(a + b).toBe(30);
    const rows = await queryRows<{ stage: string; n: number }>(workspace!, 'select stage, count(*) as n from leads group by stage');
    expect(rows.map((row) => ({ ...row, n: Number(row.n) }))).toEqual([{ stage: 'dormant', n: 30 }]);
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
