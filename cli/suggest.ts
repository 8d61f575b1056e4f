/**
 * `leadflow suggest`: fits point values to the recorded outcomes of a history
 * and writes the result as the next rule-set version, a child of `--from`,
 * then prints the sample it learned from and its judged hold-out AUC next to
 * the parent's and the regression's, each with a 95% interval.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRuleSet, type LeadEvent } from '../engine/index';
import { suggestRuleSet, SuggestError, SUGGEST_DEFAULTS, type Suggestion } from '../engine/suggest';
import type { AucEstimate } from '../engine/stats';
import { DATA_SET_ADAPTERS, collect, historyOf, sortByTime, type DataSetFormat } from '../server/import/index';
import { RuleFiles } from '../server/rule-files';
import { CliError, daysOption, readEvents, readText } from './io';

const USAGE = `usage: leadflow suggest --from <version> [--rules-dir rules]
         (--events <file.jsonl> | --format x-education|bank-marketing --input <file> | --db <file|postgres://…>)
         [--hold-out ${SUGGEST_DEFAULTS.holdOut}] [--seed ${SUGGEST_DEFAULTS.seed}] [--l2 ${SUGGEST_DEFAULTS.l2}] [--horizon ${SUGGEST_DEFAULTS.horizonDays}d]
         [--ignore <name,…>] [--out <file>]`;

/** Leads read from the store per query when the history comes from a database. */
const STORE_PAGE = 1000;

const OPTIONS = {
  from: { type: 'string' },
  'rules-dir': { type: 'string', default: 'rules' },
  events: { type: 'string' },
  format: { type: 'string' },
  input: { type: 'string' },
  db: { type: 'string' },
  'hold-out': { type: 'string' },
  seed: { type: 'string' },
  l2: { type: 'string' },
  horizon: { type: 'string' },
  ignore: { type: 'string' },
  out: { type: 'string' },
} as const;

function numberOption(name: string, text: string | undefined, check: (value: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) throw new CliError(`--${name}: not a valid value: "${text}"`);
  return value;
}

/** The history from exactly one source, in time order (ties keep the source's order). */
async function readHistory(values: {
  events?: string;
  format?: string;
  input?: string;
  db?: string;
}): Promise<{ events: LeadEvent[]; source: string }> {
  const sources = [values.events, values.format ?? values.input, values.db].filter((value) => value !== undefined);
  if (sources.length !== 1) throw new CliError(`give exactly one history: --events, --format with --input, or --db\n${USAGE}`);
  if (values.events) return { events: sortByTime(readEvents(values.events)), source: basename(values.events) };
  if (values.db) return { events: await storedHistory(values.db), source: 'the event store' };
  if (!values.format || !values.input) throw new CliError(`--format and --input go together\n${USAGE}`);
  const adapter = DATA_SET_ADAPTERS[values.format as DataSetFormat];
  if (!adapter) throw new CliError(`--format: unknown data set "${values.format}" (known: ${Object.keys(DATA_SET_ADAPTERS).join(', ')})`);
  const { values: leads, rejected } = collect(adapter(readText(values.input)));
  if (rejected.length > 0) {
    const first = rejected[0]!;
    console.error(`${values.input}: ${rejected.length} rows rejected and left out (first: line ${first.line}: ${first.reason})`);
  }
  return { events: historyOf(leads), source: `${basename(values.input)} (${values.format})` };
}

/** Every stored event, lead by lead through the store's own queries, then in time order (ties by id, as the store orders a lead's). */
async function storedHistory(db: string): Promise<LeadEvent[]> {
  const { openStore } = await import('../server/store/index');
  const store = await openStore(db);
  try {
    const events: LeadEvent[] = [];
    let after: { value: string; id: string } | undefined;
    for (;;) {
      const page = await store.read.listLeads({ limit: STORE_PAGE, after });
      for (const lead of page) for (const stored of await store.read.leadEvents(lead.id)) events.push(stored.event);
      const last = page[page.length - 1];
      if (!last || page.length < STORE_PAGE) break;
      after = { value: last.updatedAt, id: last.id };
    }
    events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return events;
  } finally {
    await store.close();
  }
}

function fixed(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

function leads({ won, lost }: { won: number; lost: number }): string {
  return `${won + lost} leads (${won} won, ${lost} lost)`;
}

/** What the points were learned from: the training and hold-out leads, and the horizon every lead is judged with. */
export function sampleLine(suggestion: Suggestion): string {
  const { auc, horizonDays } = suggestion.report;
  return `Learned from ${leads(auc.training.leads)}; held out ${leads(auc.holdOut.leads)}; judged with a ${horizonDays}-day horizon`;
}

/** The three hold-out AUCs, each with its DeLong 95% interval, all as replay judges. */
export function aucTable(suggestion: Suggestion): string {
  const { report } = suggestion;
  const held = report.auc.holdOut;
  const rows: Array<[string, AucEstimate]> = [
    [`${report.from} (original)`, held.original],
    ['logistic regression²', held.regression],
    [`${report.version} (suggested points)`, held.pointsTable],
  ];
  const title = 'Hold-out AUC, as replay judges¹';
  const width = Math.max(title.length, ...rows.map(([name]) => name.length + 2));
  const intervalHeading = '95% interval';
  return [
    `${title.padEnd(width)}    AUC  ${intervalHeading}`,
    ...rows.map(([name, { auc, interval }]) => {
      const range = interval.low === null || interval.high === null ? 'n/a' : `${fixed(interval.low)}–${fixed(interval.high)}`;
      return `${`  ${name}`.padEnd(width)}  ${fixed(auc).padStart(5)}  ${range.padStart(intervalHeading.length)}`;
    }),
    `¹ each version at its hand-off within ${report.horizonDays} days of the lead's first event, else after its last event within them; outcomes never applied`,
    `² on what each rule gave a lead where replay judges ${report.from}: the features it was fitted on`,
  ].join('\n');
}

function fileText(suggestion: Suggestion, version: string): string {
  return `${JSON.stringify({ ...suggestion.ruleSet, version }, null, 2)}\n`;
}

/** Runs `leadflow suggest`; returns the exit code. */
export async function suggestCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (!values.from) throw new CliError(USAGE);
  const rulesDir = values['rules-dir'];
  const files = new RuleFiles(rulesDir);
  const loaded = await files.load(values.from);
  if (!loaded.ok)
    throw new CliError(
      loaded.problems.map((p) => `${join(rulesDir, `${values.from}.json`)}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'),
    );
  const holdOut = numberOption('hold-out', values['hold-out'], (v) => v > 0 && v < 1);
  const seed = numberOption('seed', values.seed, Number.isSafeInteger);
  const l2 = numberOption('l2', values.l2, (v) => v >= 0);
  const horizonDays = daysOption('horizon', values.horizon);
  const { events, source } = await readHistory(values);
  if (events.length === 0) throw new CliError('the history is empty');

  const names = await files.versionNames();
  const next = `v${names.reduce((top, name) => Math.max(top, Number(name.slice(1))), 0) + 1}`;
  let suggestion: Suggestion;
  try {
    suggestion = suggestRuleSet(loaded.ruleSet, events, {
      version: next,
      source,
      ...(holdOut !== undefined && { holdOut }),
      ...(seed !== undefined && { seed }),
      ...(l2 !== undefined && { l2 }),
      ...(horizonDays !== undefined && { horizonDays }),
      ...(values.ignore && { ignore: values.ignore.split(',').map((name) => name.trim()) }),
    });
  } catch (error) {
    if (error instanceof SuggestError || error instanceof RangeError || (error as Error).name === 'ReplayError')
      throw new CliError((error as Error).message);
    throw error;
  }

  let written: string;
  if (values.out) {
    if (!loadRuleSet(suggestion.ruleSet).ok) throw new Error('the suggested rule set does not load');
    try {
      writeFileSync(values.out, fileText(suggestion, next), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new CliError(`${values.out}: already exists (suggest never overwrites a file)`);
      throw error;
    }
    written = values.out;
  } else {
    // Another writer may take the number first: the file store then moves to the next free one.
    const created = await files.create((version) => JSON.parse(fileText(suggestion, version)) as Record<string, unknown>);
    if (!created.ok) throw new Error(`the suggested rule set does not load: ${JSON.stringify(created.problems)}`);
    suggestion = { ...suggestion, report: { ...suggestion.report, version: created.ruleSet.version } };
    written = join(rulesDir, `${created.ruleSet.version}.json`);
  }

  const { report } = suggestion;
  const { mql, hot, warm } = report.thresholds;
  console.log(`Suggested ${report.version} from ${report.from}: ${written}`);
  console.log(
    `  ${report.rules.kept} scoring rules from ${report.candidates} candidates; hand-off at ${mql}, hot from ${hot}, warm from ${warm}`,
  );
  console.log(`  ${sampleLine(suggestion)}`);
  console.log(aucTable(suggestion));
  return 0;
}
