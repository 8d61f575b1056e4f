/**
 * Loading a case file (`rules/vN.cases.json`): cases added to a version after
 * it was published, since the version file itself never changes.
 */
import { caseProblems } from './cases';
import { jsonPath, parseJson, type Problem } from './ruleset';
import { caseFileSchema, type CaseFile } from './schema';

export type CaseFileResult = { ok: true; file: CaseFile } | { ok: false; problems: Problem[] };

/** Validates a case file given as JSON text or a parsed value; every problem with its JSON path. */
export function loadCaseFile(json: unknown): CaseFileResult {
  let input = json;
  if (typeof json === 'string') {
    const parsed = parseJson(json);
    if ('problem' in parsed) return { ok: false, problems: [parsed.problem] };
    input = parsed.value;
  }
  const result = caseFileSchema.safeParse(input);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message })) };
  }
  const problems = caseProblems(result.data.cases);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, file: result.data };
}
