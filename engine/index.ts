/**
 * Leadflow's engine: a pure library that turns a lead's activity into a score,
 * a band, a lifecycle stage, a route and an explanation, driven by a rule set.
 * No I/O, no clock: time comes from events.
 */
export { loadRuleSet, loadRuleSetOrThrow, formatProblem, RuleSetError } from './ruleset';
export type { CompiledRuleSet, LoadResult, Problem } from './ruleset';
export { evaluate, evaluateBatch, applyEvent, foldEvent, cloneState, scoreAt, isKnownEventType, EvaluationError } from './evaluate';
export type { FoldResult, ScoreBasis } from './evaluate';
export { nextTimeChange, tickEvent, scoreAsOf } from './clock';
export type { TimeChange } from './clock';
export {
  evaluateLogic,
  compileLogic,
  truthy,
  LogicError,
  LogicBudgetError,
  withLogicBudget,
  CUSTOM_OPERATIONS,
  MAX_LOGIC_DEPTH,
  MAX_LOGIC_NODES,
  MAX_LOGIC_STEPS,
} from './logic';
export type { Logic, CompiledLogic, LogicProblem } from './logic';
export { handOffSummary } from './routing';
export type { HandOffSummary, InterestLevel } from './routing';
export { diffRuleSets } from './diff';
export type { RuleSetChange } from './diff';
export {
  STAGES,
  INITIAL_STAGE,
  SYSTEM_EVENT_TYPES,
  BANDS,
  APPROACHES,
  ACTIVITY_CATEGORIES,
  ruleSetSchema,
  ruleSetJsonSchema,
  caseSchema,
  caseFileSchema,
  caseFileJsonSchema,
  MAX_CASES,
  MAX_CASE_EVENTS,
} from './schema';
export type {
  Stage,
  Band,
  Approach,
  RuleSetInput,
  RuleSetDefinition,
  ScoringRule,
  Transition,
  RoutingRule,
  Case,
  CaseInput,
  CaseExpectation,
  CaseFile,
} from './schema';
export { runCase, runCases, caseProblems, caseFromLead, CASE_LEAD_ID } from './cases';
export type { CaseResult, CaseDifference, CaseOutcome, LeadOutcome } from './cases';
export { loadCaseFile } from './case-file';
export type { CaseFileResult } from './case-file';
export { leadEventSchema } from './types';
export type {
  LeadEvent,
  LeadEventInput,
  LeadState,
  Score,
  Route,
  Explanation,
  EvaluationResult,
  RulePoints,
  StageChange,
  ActivityRecord,
  WebinarRecord,
} from './types';
export { byCodeUnit } from './order';
export { replay, replayShare, ReplayError, SALES_STAGES, OUTCOME_EVENT_TYPES, FEEDBACK_EVENT_TYPES, DEFAULT_HORIZON_DAYS } from './replay';
export { MS_PER_DAY } from './scoring';
export type {
  ReplayOptions,
  ReplayShare,
  LeadKeeper,
  ReplayResult,
  LeadReplay,
  VersionRecord,
  HandOff,
  Judgement,
  Outcome,
  ScoreHigh,
} from './replay';
export { replayReport, versionMetrics, columnMetrics, isoWeek, reportOptions, DEFAULT_MIN_SAMPLE } from './metrics';
export type { ReportOptions } from './metrics';
export { reportNotes } from './notes';
export type { ReportNote } from './notes';
export { pairedVerdict, verdictSentence } from './verdict';
export type { Verdict, VerdictMeasure, VerdictKind } from './verdict';
export { wilson, delongAuc, pairedDelong } from './stats';
export type { Interval, AucEstimate } from './stats';
export {
  ColumnsBuilder,
  countOpenAsLost,
  replayColumns,
  selectVersions,
  mergeColumns,
  columnBuffers,
  versionBuffers,
  kpiFlags,
  OUTCOME,
  KPI,
} from './columns';
export type { ReplayColumns, LeadColumns, VersionColumns } from './columns';
export { compareVersions, diffColumns, changesCsv, filterChanges } from './compare';
export type { VersionDiff, LeadChange, LeadView, ChangeKind, ChangeFilter, ThresholdMove } from './compare';
export type {
  ReplayReport,
  VersionMetrics,
  Classification,
  BandConversion,
  LiftRow,
  Roc,
  RocPoint,
  Workload,
  SeedKpis,
  Rate,
} from './metrics';
export { thresholdCurve, columnCurve, atThreshold } from './whatif';
export { leadStanding, gridCuts, populationImpact } from './population';
export type {
  LeadStanding,
  GridCuts,
  Histogram,
  PopulationFigures,
  PopulationImpact,
  BandChange,
  FitGrade,
  EngagementGrade,
} from './population';
export type { ThresholdCurve, ThresholdPoint } from './whatif';
export { suggestRuleSet, featureRows, SuggestError, SUGGEST_DEFAULTS, stratifiedHoldOut } from './suggest';
export type { Suggestion, SuggestOptions, SuggestReport, AucReport } from './suggest';
export { candidateRules } from './candidates';
export type { Candidate } from './candidates';
export { fitLogistic, logit } from './regression';
export type { LogisticModel, SparseRow } from './regression';
