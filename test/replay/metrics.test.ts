import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bandConversion,
  classification,
  isoWeek,
  isoWeekStart,
  liftTable,
  median,
  roc,
  seedKpis,
  versionMetrics,
  workload,
  periodWeeks,
} from '../../engine/metrics';
import { compareVersions } from '../../engine/compare';
import { replay } from '../../engine/replay';
import { day, fourLeads, lead, record, replayOf, undecayed } from './fixtures';

const won = (score: number) => ({ score, won: true });
const lost = (score: number) => ({ score, won: false });

describe('precision, recall and F1 of hand-offs against deals won', () => {
  it('counts the four cells and derives the rates', () => {
    const leads = [
      { handedOff: true, won: true },
      { handedOff: true, won: true },
      { handedOff: true, won: false },
      { handedOff: false, won: true },
      { handedOff: false, won: false },
      { handedOff: false, won: false },
    ];
    expect(classification(leads)).toMatchObject({
      truePositives: 2,
      falsePositives: 1,
      falseNegatives: 1,
      trueNegatives: 2,
      precision: 2 / 3,
      recall: 2 / 3,
      f1: 2 / 3,
    });
  });

  it('gives no precision when nobody was handed over', () => {
    expect(classification([{ handedOff: false, won: true }])).toMatchObject({ precision: null, recall: 0, f1: 0 });
  });
});

describe('conversion by band', () => {
  it('rates hot, warm and cold separately, with no rate for an empty band', () => {
    const leads = [
      { band: 'hot', won: true },
      { band: 'hot', won: true },
      { band: 'hot', won: false },
      { band: 'cold', won: false },
    ] as const;
    expect(bandConversion(leads)).toMatchObject([
      { band: 'hot', leads: 3, conversions: 2, rate: 2 / 3 },
      { band: 'warm', leads: 0, conversions: 0, rate: null },
      { band: 'cold', leads: 1, conversions: 0, rate: 0 },
    ]);
  });
});

describe('lift table', () => {
  it('cuts ten distinct scores into ten deciles, highest first, with lift against the base rate', () => {
    const leads = [won(100), won(90), lost(80), won(70), lost(60), lost(50), lost(40), lost(30), lost(20), lost(10)];
    const table = liftTable(leads);
    expect(table.map((row) => [row.decile, row.leads, row.conversions])).toEqual([
      [1, 1, 1],
      [2, 1, 1],
      [3, 1, 0],
      [4, 1, 1],
      [5, 1, 0],
      [6, 1, 0],
      [7, 1, 0],
      [8, 1, 0],
      [9, 1, 0],
      [10, 1, 0],
    ]);
    // base rate 3/10: a decile that converts 1 of 1 has a lift of 1 / 0.3
    expect(table[0]).toMatchObject({ decile: 1, leads: 1, conversions: 1, rate: 1, lift: 1 / 0.3, minScore: 100, maxScore: 100 });
    expect(table[2]!.lift).toBe(0);
  });

  it('keeps equal scores in the decile where they start, leaving later deciles empty', () => {
    // 20 leads: two at 9, eighteen at 0 (six of them won)
    const leads = [won(9), lost(9), ...Array.from({ length: 18 }, (_, i) => (i < 6 ? won(0) : lost(0)))];
    const table = liftTable(leads);
    expect(table[0]).toMatchObject({ leads: 2, conversions: 1, minScore: 9, maxScore: 9, rate: 0.5 });
    expect(table[1]).toMatchObject({ leads: 18, conversions: 6, minScore: 0, maxScore: 0 });
    expect(table.slice(2).every((row) => row.leads === 0 && row.rate === null && row.lift === null)).toBe(true);
    expect(table[0]!.lift).toBeCloseTo(0.5 / (7 / 20), 12);
  });
});

describe('ROC AUC', () => {
  it('counts a tie between a won and a lost lead as half', () => {
    // pairs (won, lost): (3,2) 1, (3,1) 1, (2,2) ½, (2,1) 1 → 3.5 / 4
    expect(roc([won(3), won(2), lost(2), lost(1)]).auc).toBe(0.875);
  });

  it('draws one point per distinct score, from (0,0) to (1,1)', () => {
    expect(roc([won(3), won(2), lost(2), lost(1)]).points).toEqual([
      { threshold: null, falsePositiveRate: 0, truePositiveRate: 0 },
      { threshold: 3, falsePositiveRate: 0, truePositiveRate: 0.5 },
      { threshold: 2, falsePositiveRate: 0.5, truePositiveRate: 1 },
      { threshold: 1, falsePositiveRate: 1, truePositiveRate: 1 },
    ]);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, and undefined without both outcomes', () => {
    expect(roc([won(2), lost(1)]).auc).toBe(1);
    expect(roc([won(1), lost(2)]).auc).toBe(0);
    expect(roc([won(1), won(2)])).toMatchObject({ auc: null, points: [] });
  });

  it('equals the area under its own ROC curve', () => {
    const scored = fc.array(fc.record({ score: fc.integer({ min: 0, max: 8 }), won: fc.boolean() }), { minLength: 2, maxLength: 60 });
    fc.assert(
      fc.property(scored, (leads) => {
        const { auc, points } = roc(leads);
        fc.pre(auc !== null);
        let area = 0;
        for (let i = 1; i < points.length; i++) {
          const [a, b] = [points[i - 1]!, points[i]!];
          area += ((b.falsePositiveRate - a.falsePositiveRate) * (a.truePositiveRate + b.truePositiveRate)) / 2;
        }
        expect(auc).toBeCloseTo(area, 12);
      }),
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('ISO weeks and workload', () => {
  it('labels weeks by ISO 8601, across year ends', () => {
    expect(isoWeek(Date.parse('2021-01-03T23:59:59Z'))).toBe('2020-W53');
    expect(isoWeek(Date.parse('2021-01-04T00:00:00Z'))).toBe('2021-W01');
    expect(isoWeek(Date.parse('2024-12-30T12:00:00Z'))).toBe('2025-W01');
    expect(isoWeek(Date.parse('2008-05-05T09:00:00Z'))).toBe('2008-W19');
  });

  it('starts every week on the Monday at or before the time, at midnight UTC, before 1970 too', () => {
    const MS_PER_DAY = 86_400_000;
    fc.assert(
      fc.property(fc.integer({ min: -5e12, max: 5e12 }), (time) => {
        const start = isoWeekStart(time);
        expect(new Date(start).getUTCDay()).toBe(1);
        expect(Number.isInteger(start / MS_PER_DAY)).toBe(true);
        expect(time - start).toBeGreaterThanOrEqual(0);
        expect(time - start).toBeLessThan(7 * MS_PER_DAY);
      }),
    );
  });

  it('counts hand-offs per week, quiet weeks included', () => {
    const weeks = periodWeeks({ since: null, until: null, firstEventAt: day(0), lastEventAt: day(20), endAt: day(20) });
    expect(workload([day(0), day(6.9), day(15)], weeks)).toEqual({
      weeks: [
        { week: '2024-W01', handOffs: 2 },
        { week: '2024-W02', handOffs: 0 },
        { week: '2024-W03', handOffs: 1 },
      ],
      meanPerWeek: 1,
      peakPerWeek: 2,
    });
  });
});

describe('seed KPIs', () => {
  const records = [
    lead('a', 'won', [
      record({
        band: 'hot',
        handOffAt: day(120),
        stages: [
          ['dormant', day(100)],
          ['mql', day(120)],
          ['sal', day(121)],
          ['sql', day(125)],
          ['won', day(140)],
        ],
      }),
    ]),
    lead('b', 'lost', [
      record({
        band: 'hot',
        stages: [
          ['dormant', day(100)],
          ['nurture', day(110)],
        ],
      }),
    ]),
    lead('c', 'lost', [
      record({
        band: 'hot',
        handOffAt: day(5),
        stages: [
          ['mql', day(5)],
          ['sal', day(6)],
          ['sql', day(7)],
          ['lost', day(9)],
        ],
      }),
    ]),
    lead('d', null, [
      record({
        band: 'hot',
        handOffAt: day(3),
        stages: [
          ['sql', day(3)],
          ['dormant', day(200)],
        ],
      }),
    ]),
    lead('e', 'won', [record({ band: 'warm', handOffAt: day(3), stages: [['mql', day(3)]] })]),
  ].map((l) => ({ lead: l, record: l.versions[0]! }));

  it('dormant-to-opportunity: of leads gone dormant, the share reaching SQL afterwards', () => {
    // a, b, d went dormant; only a reached SQL after it (d's SQL came before)
    expect(seedKpis(records).dormantToOpportunity).toMatchObject({ numerator: 1, denominator: 3, rate: 1 / 3 });
  });

  it('hot-lead conversion: of leads handed over while hot, the share won', () => {
    // a, c and d were handed over hot (d is still open); b was hot but never handed over; e was handed over warm
    expect(seedKpis(records).hotLeadConversion).toMatchObject({ numerator: 1, denominator: 3, rate: 1 / 3 });
  });

  it('opportunity-to-close: of leads reaching SQL, the share reaching won afterwards', () => {
    expect(seedKpis(records).opportunityToClose).toMatchObject({ numerator: 1, denominator: 3, rate: 1 / 3 });
  });
});

describe('metrics of a replayed version', () => {
  /** The four leads of the replay tests: v1 hands over a (won); v2, at 40, hands over a (won) and c (lost). */
  const events = fourLeads().events;
  const result = replay([undecayed('v1', 60), undecayed('v2', 40)], events);

  it('counts leads, outcomes and stages reached', () => {
    const metrics = versionMetrics(result, 0);
    expect(metrics.leads).toEqual({ total: 4, resolved: 3, won: 1, lost: 2, openCountedAsLost: 0, open: 1 });
    expect(metrics.stages).toMatchObject({ inquiry: 4, mql: 1, won: 0, lost: 0 });
    expect(metrics.handOffs).toBe(1);
  });

  it('measures each version on its own hand-offs and hand-off scores', () => {
    const [first, second] = [versionMetrics(result, 0), versionMetrics(result, 1)];
    expect(first.classification).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(second.classification).toMatchObject({ precision: 0.5, recall: 1, f1: 2 / 3 });
    // v1 judges a at 60, b at 10, c at 45: perfect. v2 judges a at 40 (its hand-off) below c at 45.
    expect(first.roc.auc).toBe(1);
    expect(second.roc.auc).toBe(0.5);
    expect(second.bands).toMatchObject([
      { band: 'hot', leads: 0, conversions: 0, rate: null },
      { band: 'warm', leads: 2, conversions: 1, rate: 0.5 },
      { band: 'cold', leads: 1, conversions: 0, rate: 0 },
    ]);
  });

  it('reports the median time from first touch to hand-off and the weekly workload', () => {
    // v2 hands over a on day 1 and c on day 1, both first seen on day 0
    expect(versionMetrics(result, 1).medianDaysToHandOff).toBe(1);
    expect(versionMetrics(result, 1).workload).toEqual({
      weeks: [
        { week: '2024-W01', handOffs: 2 },
        { week: '2024-W02', handOffs: 0 },
      ],
      meanPerWeek: 1,
      peakPerWeek: 2,
    });
  });
});

describe('comparing two versions', () => {
  it('lists the leads that change band, hand-off or stage, with the rules whose points differ', () => {
    const result = replayOf(
      [
        lead('a', 'won', [
          record({ score: 40, band: 'warm', rules: { 'email-click': 10, 'demo-request': 30 } }),
          record({
            score: 70,
            band: 'hot',
            handOffAt: day(2),
            stages: [['mql', day(2)]],
            rules: { 'email-click': 10, 'demo-request': 60 },
          }),
        ]),
        lead('b', 'lost', [record({ score: 5, rules: { 'email-open': 5 } }), record({ score: 5, rules: { 'email-open': 5 } })]),
        lead('c', null, [record({ score: 35, band: 'warm', rules: { fit: 35 } }), record({ score: 25, band: 'cold', rules: { fit: 25 } })]),
      ],
      ['v1', 'v2'],
    );
    const diff = compareVersions(result, 0, 1);
    expect(diff).toMatchObject({ from: 'v1', to: 'v2', leads: 3, bandChanged: 2, handOffChanged: 1, stageChanged: 1 });
    expect(diff.bandMatrix.warm).toEqual({ hot: 1, warm: 0, cold: 1 });
    expect(diff.bandMatrix.cold.cold).toBe(1);
    expect(diff.changes).toEqual([
      {
        leadId: 'a',
        outcome: 'won',
        kinds: ['band', 'hand-off', 'stage'],
        from: { score: 40, band: 'warm', handedOff: false, stage: 'inquiry' },
        to: { score: 70, band: 'hot', handedOff: true, stage: 'mql' },
        rules: [{ ruleId: 'demo-request', from: 30, to: 60 }],
        thresholds: [],
      },
      {
        leadId: 'c',
        outcome: null,
        kinds: ['band'],
        from: { score: 35, band: 'warm', handedOff: false, stage: 'inquiry' },
        to: { score: 25, band: 'cold', handedOff: false, stage: 'inquiry' },
        rules: [{ ruleId: 'fit', from: 35, to: 25 }],
        thresholds: [],
      },
    ]);
  });
});
