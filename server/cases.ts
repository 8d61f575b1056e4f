/**
 * The cases of stored versions, run once per version and remembered: a
 * version file never changes and its case file is read once per server run,
 * so the results cannot change while the server runs.
 */
import { runCases, type CaseResult, type CompiledRuleSet, type Problem } from '../engine/index';
import type { RuleFiles } from './rule-files';

export type VersionCases = { ok: true; results: CaseResult[] } | { ok: false; problems: Problem[] };

const runs = new WeakMap<CompiledRuleSet, Promise<VersionCases>>();

/** Every case of a version (its file's and its case file's) run against it. */
export function versionCases(files: RuleFiles, ruleSet: CompiledRuleSet): Promise<VersionCases> {
  let run = runs.get(ruleSet);
  if (!run) {
    run = files.cases(ruleSet).then((cases): VersionCases => (cases.ok ? { ok: true, results: runCases(ruleSet, cases.cases) } : cases));
    // A failed read (not a bad file: an I/O error) is not remembered, so the next request reads again.
    run.catch(() => runs.delete(ruleSet));
    runs.set(ruleSet, run);
  }
  return run;
}
