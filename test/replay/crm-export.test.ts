/**
 * Replay on histories shaped like real CRM exports, generated here: first
 * contacts spread over months, a few activities each, won deals closing
 * weeks to months later, lost outcomes recorded whenever someone got round
 * to it (or never), and many leads that never resolve.
 */
import { describe, expect, it } from 'vitest';
import { changesCsv, leadEventSchema, replayReport, type LeadEvent, type ReplayReport } from '../../engine/index';
import { replay } from '../../engine/replay';
import { seededRandom, wilson } from '../../engine/stats';
import { compile, day, history, undecayed, v1, v1Input } from './fixtures';

interface ExportShape {
  leads: number;
  /** Share of leads that are won; the others are lost or never resolve. */
  wonShare: number;
  /** Share of leads with a lost outcome recorded; none for an export of won deals only. */
  lostShare: number;
  /** When a lost outcome is recorded, in days after the lead's first contact (given its last activity's day). */
  lostAfter: (firstContactDay: number, lastActivityDay: number) => number;
  seed?: number;
}

/**
 * Leads that will be won ask for demos and attend webinars more; the others
 * mostly open emails. Won deals close 15 to 180 days after first contact.
 */
function crmExport(shape: ExportShape): LeadEvent[] {
  const random = seededRandom(shape.seed ?? 7);
  const events: LeadEvent[] = [];
  const add = (leadId: string, onDay: number, type: string, properties: Record<string, unknown> = {}) =>
    events.push(leadEventSchema.parse({ id: `${leadId}-${events.length}`, leadId, type, occurredAt: day(onDay), properties }));
  for (let n = 0; n < shape.leads; n++) {
    const leadId = `lead-${String(n).padStart(4, '0')}`;
    const first = Math.floor(random() * 300);
    const outcome = random();
    const willWin = outcome < shape.wonShare;
    const willLose = !willWin && outcome < shape.wonShare + shape.lostShare;
    let onDay = first;
    const activities = 1 + Math.floor(random() * 4);
    for (let a = 0; a < activities; a++) {
      const strong = random() < (willWin ? 0.6 : 0.15);
      add(leadId, onDay, strong ? (random() < 0.5 ? 'demo_request' : 'webinar_attended') : random() < 0.7 ? 'email_open' : 'email_click');
      onDay += 1 + Math.floor(random() * 10);
    }
    const last = onDay;
    if (willWin) add(leadId, first + 15 + Math.floor(random() * 165), 'deal_won', { amount: 1000 });
    else if (willLose) add(leadId, shape.lostAfter(first, last), 'deal_lost');
  }
  return events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.id < b.id ? -1 : 1));
}

/** v1 without decay and a version that gives demo requests more points and lowers the hand-off threshold. */
function versions() {
  return [
    undecayed('v1', 60),
    undecayed('v2', 50, (rules) => {
      const demo = rules.scoring.find((rule) => rule.id === 'contact-or-demo-request')!;
      demo.points = 45;
    }),
  ];
}

/**
 * What a version is judged on and measured by, without what follows the
 * outcomes themselves: the stage a lead ends the period in, and what depends
 * on the period's length (weeks, open leads' idle time).
 */
function judged(report: ReplayReport) {
  return {
    versions: report.versions.map(({ classification, bands, roc, lift, handOffs }) => ({ classification, bands, roc, lift, handOffs })),
    verdicts: report.diffs.map((diff) => diff.verdict),
    changes: report.diffs.map((diff) =>
      diff.changes
        .filter((change) => change.kinds.some((kind) => kind !== 'stage'))
        .map(({ leadId, from, to, rules, thresholds }) => ({
          leadId,
          from: { ...from, stage: undefined },
          to: { ...to, stage: undefined },
          rules,
          thresholds,
        })),
    ),
  };
}

describe('a CRM export with real close dates', () => {
  const shape = { leads: 600, wonShare: 0.25, lostShare: 0.45 };

  it('gives the same judged scores, metrics and verdicts however late the lost outcomes were recorded', () => {
    const early = crmExport({ ...shape, lostAfter: (first) => first + 15 });
    const late = crmExport({ ...shape, lostAfter: () => 400 });
    expect(late).not.toEqual(early);
    const [a, b] = [replay(versions(), early), replay(versions(), late)];
    expect(b.leads.map((lead) => lead.versions.map((v) => v.judged))).toEqual(a.leads.map((lead) => lead.versions.map((v) => v.judged)));
    expect(judged(replayReport(b))).toEqual(judged(replayReport(a)));
  });

  it('says which version is better, and how sure, on the same leads', () => {
    const report = replayReport(replay(versions(), crmExport({ ...shape, lostAfter: (first) => first + 30 })));
    const { verdict } = report.diffs[0]!;
    expect(verdict.resolved).toBe(report.versions[0]!.leads.resolved);
    expect(verdict.leads).toBe(600);
    const byMeasure = Object.fromEntries(verdict.measures.map((m) => [m.measure, m]));
    // Lowering the threshold hands off more leads: significantly more, with an interval that excludes no change.
    expect(byMeasure['handOffs']).toMatchObject({ verdict: 'more' });
    expect(byMeasure['handOffs']!.low!).toBeGreaterThan(0);
    // Recall can only rise when a version hands off a superset of leads.
    expect(byMeasure['recall']!.difference!).toBeGreaterThan(0);
    expect(byMeasure['recall']).toMatchObject({ verdict: 'better' });
    for (const m of verdict.measures) {
      expect(m.low!).toBeLessThanOrEqual(m.difference!);
      expect(m.high!).toBeGreaterThanOrEqual(m.difference!);
    }
    // Seeded: the same history gives the same verdict, byte for byte.
    const again = replayReport(replay(versions(), crmExport({ ...shape, lostAfter: (first) => first + 30 })));
    expect(JSON.stringify(again.diffs[0]!.verdict)).toBe(JSON.stringify(verdict));
  });

  it('finds no difference between a version and an exact copy of it', () => {
    const events = crmExport({ ...shape, lostAfter: (first) => first + 30 });
    const report = replayReport(replay([undecayed('v1', 60), undecayed('v9', 60)], events));
    expect(report.diffs[0]!.verdict.measures.map((m) => [m.measure, m.difference, m.verdict])).toEqual([
      ['handOffs', 0, 'no-difference'],
      ['precision', 0, 'no-difference'],
      ['recall', 0, 'no-difference'],
      ['auc', 0, 'no-difference'],
    ]);
  });
});

describe('an export of won deals only', () => {
  const wonOnly = () => crmExport({ leads: 300, wonShare: 0.2, lostShare: 0, lostAfter: () => 0 });

  it('warns, and gives no precision or AUC rather than 100%', () => {
    const report = replayReport(replay(versions(), wonOnly()));
    const [first] = report.versions;
    expect(first!.leads.lost).toBe(0);
    expect(first!.classification.truePositives).toBeGreaterThan(0);
    expect(first!.classification.precision).toBeNull();
    expect(first!.classification.precisionInterval).toEqual({ low: null, high: null });
    expect(first!.roc.auc).toBeNull();
    expect(report.notes.map((note) => note.code)).toEqual(['open-leads', 'no-lost-outcomes']);
    expect(report.notes[1]!.message).toContain('--open-as-lost-after');
    const precision = report.diffs[0]!.verdict.measures.find((m) => m.measure === 'precision')!;
    expect(precision).toMatchObject({ difference: null, verdict: 'unknown' });
  });

  it('measures precision once long-idle open leads count as lost, and says how many were', () => {
    const report = replayReport(replay(versions(), wonOnly()), { openAsLostAfterDays: 90 });
    const [first] = report.versions;
    expect(first!.leads.openCountedAsLost).toBeGreaterThan(0);
    expect(first!.leads.resolved).toBe(first!.leads.won + first!.leads.openCountedAsLost);
    expect(first!.classification.precision).not.toBeNull();
    expect(report.notes[0]).toMatchObject({ code: 'open-as-lost' });
    expect(report.notes[0]!.message).toContain(`${first!.leads.openCountedAsLost} leads without an outcome, idle for more than 90 days`);
    expect(report.options).toEqual({ horizonDays: 90, openAsLostAfterDays: 90, minSample: 30 });
  });
});

describe('figures and their uncertainty', () => {
  it('gives every rate the Wilson interval of its counts', () => {
    // Four leads, three won: one handed over and won, one lost; the Wilson interval of 1 of 2 by its formula.
    const events = history()
      .add('a', 0, 'demo_request')
      .add('a', 1, 'demo_request')
      .add('b', 0, 'demo_request')
      .add('b', 1, 'demo_request')
      .add('a', 5, 'deal_won')
      .add('b', 5, 'deal_lost').events;
    const [metrics] = replayReport(replay([undecayed('v1', 60)], events)).versions;
    const z = 1.959963984540054;
    const [k, n] = [1, 2];
    const centre = (k / n + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z / (1 + (z * z) / n)) * Math.sqrt(((k / n) * (1 - k / n)) / n + (z * z) / (4 * n * n));
    expect(metrics!.classification.precision).toBe(0.5);
    expect(metrics!.classification.precisionInterval.low).toBeCloseTo(centre - half, 12);
    expect(metrics!.classification.precisionInterval.high).toBeCloseTo(centre + half, 12);
    expect(metrics!.baseRateInterval).toEqual(wilson(1, 2));
    expect(metrics!.bands.every((band) => band.small)).toBe(true);
  });

  it('flags an AUC below chance', () => {
    // The version scores the lost lead higher than the won one.
    const events = history().add('a', 0, 'email_open').add('b', 0, 'demo_request').add('a', 5, 'deal_won').add('b', 5, 'deal_lost').events;
    const report = replayReport(replay([v1()], events));
    expect(report.versions[0]!.roc.auc).toBe(0);
    expect(report.notes.find((note) => note.code === 'auc-below-chance')).toMatchObject({ version: 'v1' });
  });
});

describe('the changed-leads list', () => {
  it('names the threshold that moved a lead when no rule did', () => {
    const hotAt40 = v1Input();
    hotAt40.version = 'v2';
    hotAt40.decay = { halfLifeDays: null };
    hotAt40.bands.hot = 40;
    const events = history().add('a', 0, 'demo_request').add('a', 1, 'email_click').add('a', 2, 'deal_won').events;
    const diff = replayReport(replay([undecayed('v1', 60), compile(hotAt40)], events)).diffs[0]!;
    // 40 points: warm under v1 (hot from 60), hot under v2 (hot from 40). The MQL threshold (60) did not move.
    expect(diff.changes).toEqual([
      expect.objectContaining({
        leadId: 'a',
        kinds: ['band'],
        from: expect.objectContaining({ score: 40, band: 'warm' }),
        to: expect.objectContaining({ score: 40, band: 'hot' }),
        rules: [],
        thresholds: [{ threshold: 'hot', from: 60, to: 40 }],
      }),
    ]);
    expect(changesCsv(diff)).toBe(
      'leadId,outcome,changes,fromScore,fromBand,fromHandedOff,fromStage,toScore,toBand,toHandedOff,toStage,thresholds,rules\r\n' +
        'a,won,band,40,warm,false,inquiry,40,hot,false,inquiry,hot 60→40,\r\n',
    );
    expect(changesCsv(diff, { outcome: 'lost' })).not.toContain('\r\na,');
    expect(changesCsv(diff, { kind: 'hand-off' })).not.toContain('\r\na,');
  });

  it('quotes CSV fields that need it and defuses formulas', () => {
    const diff = replayReport(
      replay(
        [undecayed('v1', 60), undecayed('v2', 30)],
        [leadEventSchema.parse({ id: 'e1', leadId: '=HYPERLINK("x"),1', type: 'demo_request', occurredAt: day(0) })],
      ),
    ).diffs[0]!;
    expect(changesCsv(diff).split('\r\n')[1]).toMatch(/^"'=HYPERLINK\(""x""\),1",open,/);
  });
});
