import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError, type ChallengerKpis, type Kpis, type Rate, type Stage } from '../../../editor/src/lib/api';
import ChallengerPanel from '../../../editor/src/lib/components/ChallengerPanel.svelte';
import { STAGE_NAMES } from '../../../editor/src/lib/logic/fields';
import { drawChartsInJsdom, fractions, valueTicks } from './chart-canvas';
import Harness from './Harness.svelte';

const PERIOD = { from: '2026-08-27T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' };

const rate = (count: number, converted: number): Rate => ({ count, converted, rate: count === 0 ? null : converted / count });
const perStage = <T>(value: T, given: Partial<Record<Stage, T>>) =>
  Object.fromEntries(STAGE_NAMES.map((s) => [s, given[s] ?? value])) as Record<Stage, T>;

/** KPI figures with the given funnel and stage times; every other figure empty. */
function kpis(funnel: Partial<Record<Stage, number>>, days: Partial<Record<Stage, number>>, hot = rate(0, 0)): Kpis {
  return {
    period: PERIOD,
    funnel: perStage(0, funnel),
    conversion: {},
    dormantToOpportunity: rate(0, 0),
    hotLeadConversion: hot,
    opportunityToClose: rate(1, 1),
    medianDaysInStage: perStage<number | null>(null, days),
    followUp: { handOffs: 0, followedUp: 0, medianHours: null },
    definitions: {},
  };
}

/** A reply for challenger v2 beside active v1, over 3 evaluated leads of 1,250. */
function reply(change: Partial<ChallengerKpis> = {}): ChallengerKpis {
  return {
    version: 'v2',
    activeVersion: 'v1',
    period: PERIOD,
    leadsEvaluated: 3,
    leadsTotal: 1_250,
    challenger: kpis({ inquiry: 3, mql: 3, sal: 2 }, { inquiry: 1, mql: 2.5 }, rate(3, 1)),
    active: kpis({ inquiry: 3, mql: 1, sal: 1 }, { inquiry: 0.04, mql: 1.96 }, rate(1, 1)),
    ...change,
  };
}

function show(props: Record<string, unknown>, locale: 'en' | 'ja' = 'en') {
  return render(Harness, { props: { component: ChallengerPanel, props, locale } });
}

/** The cells of a table row, by the row's first cell. */
function rowOf(testId: string, name: string): string[] {
  const row = within(screen.getByTestId(testId))
    .getAllByRole('row')
    .find((r) => r.firstElementChild?.textContent === name);
  if (!row) throw new Error(`no row "${name}" in ${testId}`);
  return [...row.children].map((cell) => cell.textContent?.trim() ?? '');
}

beforeAll(drawChartsInJsdom);

describe('the shadow challenger on the dashboard', () => {
  it('tabulates the challenger’s funnel beside the active version’s, on the same leads', () => {
    show({ reply: reply() });
    expect(rowOf('table-challenger-funnel', 'Stage')).toEqual(['Stage', 'v1 (active)', 'v2 (challenger)']);
    expect(rowOf('table-challenger-funnel', 'MQL')).toEqual(['MQL', '1', '3']);
    expect(rowOf('table-challenger-funnel', 'SAL')).toEqual(['SAL', '1', '2']);
  });

  it('tabulates the median days in each stage with one decimal, a dash where no stay ended', () => {
    show({ reply: reply() });
    expect(rowOf('table-challenger-stage-times', 'Inquiry')).toEqual(['Inquiry', '0.0', '1.0']);
    expect(rowOf('table-challenger-stage-times', 'MQL')).toEqual(['MQL', '2.0', '2.5']);
    expect(rowOf('table-challenger-stage-times', 'Won')).toEqual(['Won', '–', '–']);
  });

  it('counts the funnel in whole leads however few, and keeps fractions of days', async () => {
    show({ reply: reply() });
    await tick();
    expect(fractions(valueTicks('challenger-funnel'))).toEqual([]);
    expect(fractions(valueTicks('challenger-stage-times'))).not.toEqual([]);
  });

  it('compares the shared KPIs of both versions', () => {
    show({ reply: reply() });
    expect(rowOf('challenger-shared-kpis', 'Hot-lead conversion')).toEqual(['Hot-lead conversion', '100% 1 of 1', '33.3% 1 of 3']);
  });

  it('says how many leads the challenger has evaluated, and what that means', () => {
    show({ reply: reply() });
    expect(screen.getByTestId('challenger-coverage').textContent?.trim()).toBe('v2 has evaluated 3 of 1,250 leads.');
    expect(screen.getByText(/leads with no event since are not counted/)).toBeTruthy();
  });

  it('says it in Japanese with Japanese numbers and column names', () => {
    show({ reply: reply() }, 'ja');
    expect(screen.getByTestId('challenger-coverage').textContent?.trim()).toBe('v2 は 1,250 件中 3 件のリードを評価しました。');
    expect(rowOf('table-challenger-funnel', 'ステージ')).toEqual(['ステージ', 'v1（稼働中）', 'v2（チャレンジャー）']);
  });

  it('says no challenger is set, and where to set one', () => {
    show({ reply: reply({ version: null, leadsEvaluated: 0, challenger: null, active: null }) });
    expect(screen.getByText('No challenger is running in shadow.')).toBeTruthy();
    expect(screen.getByText(/on the Versions page/)).toBeTruthy();
    expect(screen.queryByTestId('table-challenger-funnel')).toBeNull();
  });

  it('says the challenger has evaluated no lead yet instead of showing empty charts', () => {
    show({ reply: reply({ leadsEvaluated: 0, challenger: kpis({}, {}), active: kpis({}, {}) }) });
    expect(screen.getByText(/v2 has not evaluated any lead yet/)).toBeTruthy();
    expect(screen.queryByTestId('table-challenger-funnel')).toBeNull();
  });

  it('shows loading until the figures arrive, and an error with a retry', async () => {
    const { unmount } = show({ reply: undefined });
    expect(screen.getByRole('status').textContent).toContain('Loading');
    unmount();
    const onretry = vi.fn();
    show({ reply: undefined, error: new ApiError(500, 'Internal', 'The server failed'), onretry });
    expect(screen.getByRole('alert').textContent).toContain('The server failed');
    await fireEvent.click(within(screen.getByRole('alert')).getByRole('button'));
    expect(onretry).toHaveBeenCalledOnce();
  });
});
