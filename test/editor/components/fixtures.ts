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
