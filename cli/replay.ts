/**
 * `leadflow replay`: replays the stored history of a database through
 * rule-set versions and compares each against what really happened (see
 * docs/replay.md): a readable table, or the full report as JSON.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { verdictSentence, type CompiledRuleSet, type Interval, type LeadChange, type LeadView, type VersionMetrics } from '../engine/index';
import { DEFAULT_DB_FILE } from '../server/config';
import { ComparisonError, runComparison } from '../server/comparisons/run';
import type { ComparisonReport } from '../server/comparisons/report';
import { defaultRulesDir } from '../server/index';
import { RuleFiles } from '../server/rule-files';
import { openStore } from '../server/store/index';
import { CliError, daysOption } from './io';
import { startProgress } from './progress';

const USAGE =
  'usage: leadflow replay [--db <file|postgres://…>] [--rules-dir rules] --versions v1,v2 [--since ISO] [--until ISO] ' +
  '[--horizon 90d] [--open-as-lost-after 90d] [--top 20] [--json]';
/** Without a progress bar, one progress line per this many events. */
const PROGRESS_EVERY = 250_000;
const DEFAULT_TOP = 20;

const count = new Intl.NumberFormat('en-US');
const percent = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)}%`);
const decimal = (value: number | null, digits: number) => (value === null ? '–' : value.toFixed(digits));
/** "42.0% (38.1–46.0%)": a rate and its 95% interval. */
const percentWithin = (rate: number | null, interval: Interval) =>
  rate === null || interval.low === null || interval.high === null
    ? percent(rate)
    : `${percent(rate)} (${(interval.low * 100).toFixed(1)}–${percent(interval.high)})`;
const decimalWithin = (value: number | null, interval: Interval) =>
  value === null || interval.low === null || interval.high === null
    ? decimal(value, 3)
    : `${value.toFixed(3)} (${interval.low.toFixed(3)}–${interval.high.toFixed(3)})`;

function isoOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d\d-\d\d(T|$)/.test(value) || Number.isNaN(Date.parse(value)))
    throw new CliError(`--${name} must be an ISO 8601 time, not "${value}"`);
  return new Date(Date.parse(value)).toISOString();
}

async function loadVersions(files: RuleFiles, list: string): Promise<CompiledRuleSet[]> {
  const versions = list.split(',').map((version) => version.trim());
  if (versions.some((version) => !version)) throw new CliError(`--versions: an empty version name in "${list}"`);
  const repeated = versions.find((version, i) => versions.indexOf(version) !== i);
  if (repeated) throw new CliError(`--versions: ${repeated} is named twice`);
  const ruleSets: CompiledRuleSet[] = [];
  const problems: string[] = [];
  for (const version of versions) {
    const loaded = await files.load(version);
    if (loaded.ok) ruleSets.push(loaded.ruleSet);
    else problems.push(...loaded.problems.map((p) => `${version}: ${p.path ? `${p.path}: ` : ''}${p.message}`));
  }
  if (problems.length > 0) throw new CliError(problems.join('\n'));
  return ruleSets;
}

/** Rows as aligned columns: the first column left-aligned, the others right-aligned (figures) or left-aligned (text). */
function table(rows: string[][], figures = true): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const cell = (text: string, column: number) => (column > 0 && figures ? text.padStart(widths[column]!) : text.padEnd(widths[column]!));
  return rows.map((row) => row.map(cell).join('  ').trimEnd());
}

const METRICS: Array<[string, (v: VersionMetrics) => string]> = [
  ['Hand-offs', (v) => count.format(v.handOffs)],
  ['Precision', (v) => percentWithin(v.classification.precision, v.classification.precisionInterval)],
  ['Recall', (v) => percentWithin(v.classification.recall, v.classification.recallInterval)],
  ['F1', (v) => decimal(v.classification.f1, 3)],
  ['AUC', (v) => decimalWithin(v.roc.auc, v.roc.interval)],
  ...v1Bands(),
  ['Top-decile lift', (v) => (v.lift[0]?.lift == null ? '–' : `${v.lift[0].lift.toFixed(2)}×`)],
  ['Median days to hand-off', (v) => decimal(v.medianDaysToHandOff, 1)],
  ['KPI dormant → opportunity', (v) => percent(v.kpis.dormantToOpportunity.rate)],
  ['KPI hot-lead conversion', (v) => percent(v.kpis.hotLeadConversion.rate)],
  ['KPI opportunity → close', (v) => percent(v.kpis.opportunityToClose.rate)],
  ['Hand-offs per week, mean', (v) => decimal(v.workload.meanPerWeek, 1)],
  ['Hand-offs per week, peak', (v) => count.format(v.workload.peakPerWeek)],
];

function v1Bands(): Array<[string, (v: VersionMetrics) => string]> {
  return (['hot', 'warm', 'cold'] as const).map((band) => [
    `Conversion, ${band}`,
    (v) => {
      const row = v.bands.find((b) => b.band === band)!;
      return `${percent(row.rate)} (${count.format(row.conversions)}/${count.format(row.leads)}${row.small ? ', few' : ''})`;
    },
  ]);
}

function leadView(view: LeadView): string {
  return `${view.score} ${view.band}, ${view.handedOff ? 'handed off' : 'kept'}, ${view.stage}`;
}

function changeRows(changes: readonly LeadChange[], top: number, from: string, to: string): string[][] {
  const biggest = [...changes]
    .sort(
      (a, b) =>
        Math.abs(b.to.score - b.from.score) - Math.abs(a.to.score - a.from.score) ||
        (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0),
    )
    .slice(0, top);
  return [
    ['Lead', 'Outcome', from, to, 'Thresholds', 'Rules (points)'],
    ...biggest.map((change) => [
      change.leadId,
      change.outcome ?? 'open',
      leadView(change.from),
      leadView(change.to),
      change.thresholds.map((move) => `${move.threshold} ${move.from}→${move.to}`).join(', ') || '–',
      change.rules.map((rule) => `${rule.ruleId} ${rule.from}→${rule.to}`).join(', ') || '–',
    ]),
  ];
}

/** The report as text: the period, every version's metrics side by side, then the leads that change between the first two versions. */
export function reportText(report: ComparisonReport, top: number): string {
  const first = report.versions[0]!;
  const { period, events, options } = report;
  const { won, lost, openCountedAsLost, open } = first.leads;
  const lines = [
    `Replayed ${count.format(events.read)} events from ${period.firstEventAt ?? '–'} to ${period.lastEventAt ?? '–'}` +
      (events.beforePeriod > 0 ? ` (${count.format(events.beforePeriod)} of leads first seen before ${period.since} left out)` : ''),
    `${count.format(first.leads.total)} leads: ${count.format(won)} won, ${count.format(lost)} lost, ` +
      (openCountedAsLost > 0 ? `${count.format(openCountedAsLost)} open counted as lost, ` : '') +
      `${count.format(open)} open; each judged at its hand-off within ${options.horizonDays} days of its first activity, ` +
      'else after its last event within them',
    'Rates and AUCs with their 95% intervals; "few": fewer than ' + `${options.minSample} leads.`,
    '',
    ...table([['', ...report.versions.map((v) => v.version)], ...METRICS.map(([name, cell]) => [name, ...report.versions.map(cell)])]),
  ];
  report.events.unknownTypes.forEach((types, i) => {
    const skipped = Object.entries(types).map(([type, n]) => `${type} ${count.format(n)}`);
    if (skipped.length > 0) lines.push(`${report.versions[i]!.version} skipped event types it does not know: ${skipped.join(', ')}`);
  });
  if (report.notes.length > 0) lines.push('', ...report.notes.map((note) => `Note: ${note.message}`));
  for (const diff of report.diffs) lines.push('', verdictSentence(diff.to, diff.from, diff.verdict));
  const diff = report.diffs[0];
  if (diff) {
    lines.push(
      '',
      `${diff.from} → ${diff.to}: ${count.format(diff.changes.length)} of ${count.format(diff.leads)} leads change ` +
        `(band ${count.format(diff.bandChanged)}, hand-off ${count.format(diff.handOffChanged)}, final stage ${count.format(diff.stageChanged)})`,
    );
    if (diff.changes.length > 0 && top > 0) {
      lines.push(`Largest score changes (top ${Math.min(top, diff.changes.length)}):`);
      lines.push(...table(changeRows(diff.changes, top, diff.from, diff.to), false).map((line) => `  ${line}`));
    }
  }
  return lines.join('\n');
}

/** Runs `leadflow replay`; returns the exit code. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'rules-dir': { type: 'string' },
      versions: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      horizon: { type: 'string' },
      'open-as-lost-after': { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0 || !values.versions) throw new CliError(USAGE);
  const since = isoOption('since', values.since);
  const until = isoOption('until', values.until);
  const horizonDays = daysOption('horizon', values.horizon);
  const openAsLostAfterDays = daysOption('open-as-lost-after', values['open-as-lost-after']);
  const top = values.top === undefined ? DEFAULT_TOP : Number(values.top);
  if (!Number.isSafeInteger(top) || top < 0) throw new CliError(`--top must be a whole number ≥ 0, not "${values.top}"`);
  const ruleSets = await loadVersions(new RuleFiles(resolve(values['rules-dir'] ?? defaultRulesDir())), values.versions);

  const store = await openStore(values.db ?? DEFAULT_DB_FILE);
  const progress = startProgress('replaying', 1, 'events', PROGRESS_EVERY);
  try {
    const json = await runComparison(
      store,
      {
        source: 'replay',
        ruleSets,
        ...(since && { since }),
        ...(until && { until }),
        ...(horizonDays !== undefined && { horizonDays }),
        ...(openAsLostAfterDays !== undefined && { openAsLostAfterDays }),
      },
      { onProgress: (done, total) => progress.update(done, { total, ...(done === total && { label: 'building the report' }) }) },
    );
    progress.stop();
    process.stdout.write(values.json ? `${json}\n` : `${reportText(JSON.parse(json) as ComparisonReport, top)}\n`);
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof ComparisonError) throw new CliError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}
