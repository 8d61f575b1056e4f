import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateWorkload } from '../../bench/workload';
import { ColumnsBuilder, countOpenAsLost, KPI, kpiFlags, mergeColumns, replayColumns, type ReplayColumns } from '../../engine/columns';
import { columnMetrics, replayReport, versionMetrics } from '../../engine/metrics';
import { replay, ReplayError, replayShare, type ReplayShare } from '../../engine/replay';
import { columnCurve, thresholdCurve } from '../../engine/whatif';
import type { LeadEvent, StageChange } from '../../engine/types';
import { day, undecayed, v1 } from './fixtures';

// Decay on (v1) and off, two thresholds.
const versions = () => [v1(), undecayed('v2', 40)];
const workload = generateWorkload({ leads: 300, events: 3_000 }).events;

/** The events split into shares, each lead's events in the share `shareOf` gives it; a lead's events stay in order. */
function split(events: readonly LeadEvent[], shares: number, shareOf: (leadId: string) => number): LeadEvent[][] {
  const out: LeadEvent[][] = Array.from({ length: shares }, () => []);
  for (const event of events) out[shareOf(event.leadId)]!.push(event);
  return out;
}

/**
 * Replays each share apart, finishes each with the times of the whole, and merges the shares' columns;
 * each share keeps its leads as records turned into columns, or writes them to columns as they finish.
 */
function replayInShares(
  parts: readonly LeadEvent[][],
  options: { until?: string } = {},
  keep: 'records' | 'columns' = 'records',
): ReplayColumns {
  if (keep === 'columns') {
    const shares = parts.map((events) => replayShare(versions(), events, options, new ColumnsBuilder([0, 1])));
    return mergeColumns(shares.map((share) => share.finish(wholeOf(shares))));
  }
  const shares = parts.map((events) => replayShare(versions(), events, options));
  return mergeColumns(shares.map((share) => replayColumns(share.finish(wholeOf(shares)))));
}

/** The earliest and latest event time of all shares. */
function wholeOf(shares: ReadonlyArray<Pick<ReplayShare<unknown>, 'firstEventTime' | 'lastEventTime'>>) {
  const times = (pick: (share: (typeof shares)[number]) => number | null) => shares.map(pick).filter((t): t is number => t !== null);
  return {
    firstEventTime: times((s) => s.firstEventTime).length ? Math.min(...times((s) => s.firstEventTime)) : null,
    lastEventTime: times((s) => s.lastEventTime).length ? Math.max(...times((s) => s.lastEventTime)) : null,
  };
}

describe('replay columns', () => {
  it('hold what the records hold: scores, bands, stages, hand-offs, highs and points per rule', () => {
    const result = replay(versions(), workload);
    const columns = replayColumns(result);
    expect(columns.leads.ids).toEqual(result.leads.map((lead) => lead.leadId));
    result.leads.forEach((lead, i) => {
      expect(columns.leads.outcome[i]).toBe(lead.outcome === null ? 0 : lead.outcome.result === 'won' ? 1 : 2);
      lead.versions.forEach((record, v) => {
        const c = columns.versions[v]!;
        expect(c.score[i]).toBe(record.judged.score);
        expect(Number.isNaN(c.handOffAt[i]!)).toBe(record.handOff === null);
        if (record.handOff) expect(c.handOffAt[i]).toBe(Date.parse(record.handOff.at));
        expect(Array.from(c.highScore.subarray(c.highStart[i], c.highStart[i + 1]))).toEqual(record.highs.map((high) => high.score));
        const rules: Record<string, number> = {};
        for (let j = c.ruleStart[i]!; j < c.ruleStart[i + 1]!; j++) rules[c.ruleIds[c.ruleIndex[j]!]!] = c.rulePoints[j]!;
        expect(rules).toEqual(record.horizonRules);
      });
    });
  });

  it('flag the stage histories the seed KPIs count, in order only', () => {
    const history = (...stages: string[]) => stages.map((to) => ({ to }) as StageChange);
    expect(kpiFlags(history('inquiry', 'dormant', 'sql', 'won'))).toBe(KPI.dormant | KPI.dormantToSql | KPI.sql | KPI.sqlToWon);
    expect(kpiFlags(history('inquiry', 'sql', 'dormant'))).toBe(KPI.sql | KPI.dormant);
    expect(kpiFlags(history('won', 'sql'))).toBe(KPI.sql);
    expect(kpiFlags(history('inquiry', 'mql'))).toBe(0);
  });
});

describe('a replay in shares', () => {
  const whole = replay(versions(), workload);
  const expected = replayColumns(whole);

  it('merges into the columns of one replay of the whole history, however the leads are shared out', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1_000 }), fc.boolean(), (count, seed, columns) => {
        const shareOf = (leadId: string) => [...leadId].reduce((sum, c) => sum + c.charCodeAt(0) * seed, seed) % count;
        expect(replayInShares(split(workload, count, shareOf), {}, columns ? 'columns' : 'records')).toEqual(expected);
      }),
      { numRuns: 12 },
    );
  });

  it('ends the period at the last event of the whole history, even in a share whose own events end earlier', () => {
    const last = Math.max(...workload.map((event) => Date.parse(event.occurredAt)));
    const lastLeads = new Set(workload.filter((event) => Date.parse(event.occurredAt) === last).map((event) => event.leadId));
    const parts = split(workload, 2, (leadId) => (lastLeads.has(leadId) ? 1 : 0));
    const early = replayShare(versions(), parts[0]!);
    expect(early.lastEventTime).toBeLessThan(Date.parse(whole.period.lastEventAt!));
    expect(replayInShares(parts)).toEqual(expected);
    expect(replayInShares(parts, {}, 'columns')).toEqual(expected);
    expect(JSON.stringify(versions().map((_, v) => columnMetrics(replayInShares(parts), v)))).toBe(
      JSON.stringify(versions().map((_, v) => versionMetrics(whole, v))),
    );
    // Open leads idle long enough count as lost by their idle time to the end of the whole period, not of the share.
    const labelled = countOpenAsLost(replayInShares(parts), 30);
    expect(columnMetrics(labelled, 0).leads.openCountedAsLost).toBeGreaterThan(0);
    expect(JSON.stringify(versions().map((_, v) => columnMetrics(labelled, v)))).toBe(
      JSON.stringify(versions().map((_, v) => versionMetrics(whole, v, { openAsLostAfterDays: 30 }))),
    );
  });

  it('gives the metrics, curves and differences of the whole replay', () => {
    const merged = replayInShares(split(workload, 3, (leadId) => leadId.length % 3));
    expect(merged.versions.map((_, v) => columnMetrics(merged, v))).toEqual(whole.versions.map((_, v) => versionMetrics(whole, v)));
    expect(merged.versions.map((_, v) => columnCurve(merged, v))).toEqual(whole.versions.map((_, v) => thresholdCurve(whole, v)));
    expect(replayReport(whole).diffs[0]!.changes.length).toBeGreaterThan(0);
  });

  it('keeps `until` as the end of the period', () => {
    const until = day(20);
    const events = workload.map((event, i) => ({ ...event, occurredAt: day(i / 100) }));
    const parts = split(events, 2, (leadId) => leadId.charCodeAt(leadId.length - 1) % 2);
    const expected = replayColumns(replay(versions(), events, { until }));
    expect(replayInShares(parts, { until })).toEqual(expected);
    expect(replayInShares(parts, { until }, 'columns')).toEqual(expected);
  });

  it('refuses shares that replayed the same lead', () => {
    const share = () => replayColumns(replay(versions(), workload));
    expect(() => mergeColumns([share(), share()])).toThrow(/was replayed in two shares/);
  });

  it('refuses shares of different versions or periods', () => {
    const a = replayColumns(replay(versions(), workload.slice(0, 10)));
    const b = replayColumns(replay([v1()], workload.slice(10)));
    expect(() => mergeColumns([a, b])).toThrow(/different versions/);
    const c = replayColumns(replay(versions(), workload.slice(10), { until: day(400) }));
    expect(() => mergeColumns([a, c])).toThrow(/different periods/);
  });

  it('written to columns as leads finish, still refuses a grouped history in which a lead appears twice', () => {
    const [a, b] = [workload[0]!.leadId, workload.find((e) => e.leadId !== workload[0]!.leadId)!.leadId];
    const again = { ...workload[0]!, id: 'again', occurredAt: day(400) };
    const events = [...workload.filter((e) => e.leadId === a), ...workload.filter((e) => e.leadId === b), again];
    const share = replayShare(versions(), events, { groupedByLead: true }, new ColumnsBuilder([0, 1]));
    expect(() => share.finish(share)).toThrow(ReplayError);
  });

  it('is finished with times that hold its own', () => {
    const share = replayShare(versions(), workload);
    expect(() => share.finish({ firstEventTime: share.firstEventTime, lastEventTime: share.lastEventTime! - 1 })).toThrow(RangeError);
    expect(() => share.finish({ firstEventTime: null, lastEventTime: null })).toThrow(RangeError);
  });

  it('is finished once', () => {
    const share = replayShare(versions(), workload);
    share.finish(share);
    expect(() => share.finish(share)).toThrow(/finished once/);
  });
});
