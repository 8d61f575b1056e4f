/** Rule sets and replays for the editor's component tests, built with the real engine from rules/v1.json. */
import { loadRuleSetOrThrow, type CompiledRuleSet } from '../../../engine/index';
import { replayReport } from '../../../engine/metrics';
import { replay, type ReplayResult } from '../../../engine/replay';
import { thresholdCurve } from '../../../engine/whatif';
import { demoEvents } from '../../../server/demo';
import v1 from '../../../rules/v1.json';
import type { ComparisonReport } from '../../../editor/src/lib/api';

/** v1 with `change` applied, as version `version`. */
export function ruleSet(version = 'v1', change: (rules: any) => void = () => {}): CompiledRuleSet {
  const rules = structuredClone(v1) as any;
  rules.version = version;
  change(rules);
  return loadRuleSetOrThrow(rules);
}

/** Generated history replayed through v1 and a v2 that hands off later and values webinars more. */
export function demoReplay(leads = 80): ReplayResult {
  const ruleSets = [
    ruleSet('v1'),
    ruleSet('v2', (r) => {
      r.lifecycle.thresholds.mql = 80;
      r.scoring.find((s: any) => s.id === 'webinar-attended').points = 35;
    }),
  ];
  const events = demoEvents(ruleSets[0]!, '2026-06-01T00:00:00.000Z', 7, leads).sort(
    (a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id),
  );
  return replay(ruleSets, events);
}

/** The report a comparison returns: the engine's replay report and one threshold curve per version. */
export function demoReport(result = demoReplay()): ComparisonReport {
  return { ...replayReport(result), whatIf: result.versions.map((_, i) => thresholdCurve(result, i)) };
}

/** A copy of `base` (the demo report by default) with `change` applied, for figures a test needs exactly. */
export function reportWith(change: (report: ComparisonReport) => void, base: ComparisonReport = demoReport()): ComparisonReport {
  const report = structuredClone(base);
  change(report);
  return report;
}

type Measure = ComparisonReport['diffs'][number]['verdict']['measures'][number];

/** One measure of a verdict: from, to, difference, its interval and the verdict, in that order. */
export function measure(
  name: Measure['measure'],
  [from, to, difference, low, high]: Array<number | null>,
  verdict: Measure['verdict'],
): Measure {
  return {
    measure: name,
    from: from ?? null,
    to: to ?? null,
    difference: difference ?? null,
    low: low ?? null,
    high: high ?? null,
    verdict,
  };
}

/** The changed lead `leadId` as a diff lists it, with what moved it. */
export function change(
  leadId: string,
  outcome: 'won' | 'lost' | null,
  kinds: ComparisonReport['diffs'][number]['changes'][number]['kinds'],
  thresholds: ComparisonReport['diffs'][number]['changes'][number]['thresholds'] = [],
): ComparisonReport['diffs'][number]['changes'][number] {
  const view = (score: number, band: 'hot' | 'warm' | 'cold', handedOff: boolean) =>
    ({ score, band, handedOff, stage: handedOff ? 'mql' : 'inquiry' }) as const;
  return { leadId, outcome, kinds, thresholds, from: view(55, 'warm', false), to: view(62, 'hot', true), rules: [] };
}
