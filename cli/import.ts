/**
 * `leadflow import`: loads historic events, lead attributes and outcomes from
 * a file into a database, as stored history (see docs/replay.md).
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { openHistory } from '../server/index';
import { IMPORT_FORMATS, ImportFileError, formatOfFile, importFile, type ImportFormat, type ImportSummary } from '../server/history-import';
import { CliError, fileSize } from './io';
import { startProgress } from './progress';

const USAGE = `usage: leadflow import [--db <file|postgres://…>] [--format ${IMPORT_FORMATS.join('|')}] [--rules-dir rules] [--strict] [--json] <file>`;
/** Without a progress bar, one progress line per this many MB read, then per this many leads stored. */
const PROGRESS_EVERY_MB = 100;
const PROGRESS_EVERY_LEADS = 50_000;
const BYTES_PER_MB = 1_000_000;
/** Rejected rows listed in the text summary; --json lists them all. */
const LISTED_REJECTIONS = 50;

const count = new Intl.NumberFormat('en-US');

function formatOf(file: string, given: string | undefined): ImportFormat {
  if (given !== undefined) {
    if (!(IMPORT_FORMATS as readonly string[]).includes(given))
      throw new CliError(`--format must be one of ${IMPORT_FORMATS.join(', ')}, not "${given}"`);
    return given as ImportFormat;
  }
  const format = formatOfFile(file);
  if (!format) throw new CliError(`${file}: cannot tell the format from the file name; give --format ${IMPORT_FORMATS.join('|')}`);
  return format;
}

/** Megabytes, to one decimal: the unit of the reading progress. */
const megabytes = (bytes: number) => Math.round(bytes / (BYTES_PER_MB / 10)) / 10;

function describe(file: string, location: string, summary: ImportSummary, seconds: number): string {
  const outcomes = Object.entries(summary.outcomes).map(([kind, n]) => `${kind} ${count.format(n)}`);
  const rows: Array<[string, string]> = [
    ['rows read', count.format(summary.rowsRead)],
    ['events stored', count.format(summary.eventsStored)],
    ['skipped as duplicates', count.format(summary.duplicates)],
    ['rejected rows', count.format(summary.rejectedRows)],
    ['leads', `${count.format(summary.leads.created)} new, ${count.format(summary.leads.updated)} updated`],
    ['outcomes recorded', outcomes.length > 0 ? outcomes.join(', ') : 'none'],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [
    `Imported ${file} (${summary.format}) into ${location} with rule set ${summary.ruleSetVersion} in ${seconds.toFixed(1)} s`,
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
  ];
  if (summary.rejected.length > 0) {
    lines.push('Rejected rows:');
    for (const { line, reason } of summary.rejected.slice(0, LISTED_REJECTIONS)) lines.push(`  line ${line}: ${reason}`);
    const more = summary.rejectedRows - LISTED_REJECTIONS;
    const listed = summary.rejectedRows > summary.rejected.length ? `the first ${count.format(summary.rejected.length)}` : 'them all';
    if (more > 0) lines.push(`  … and ${count.format(more)} more (--json lists ${listed})`);
  }
  return lines.join('\n');
}

/**
 * Imports a file in one transaction. Exit 0: imported (rejected rows, if any,
 * are listed); exit 1: nothing stored (the file cannot be imported at all, or
 * --strict and a row was rejected).
 */
export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      format: { type: 'string' },
      'rules-dir': { type: 'string' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new CliError(USAGE);
  const file = positionals[0]!;
  const format = formatOf(file, values.format);
  const size = fileSize(file);
  const started = performance.now();
  const history = await openHistory({ db: values.db, rulesDir: values['rules-dir'] });
  const progress = startProgress('reading', megabytes(size), 'MB', PROGRESS_EVERY_MB);
  try {
    const summary = await importFile(history, file, format, {
      recordedBy: `import ${basename(file)}`,
      onBytes: (bytesRead) => progress.update(megabytes(bytesRead)),
      onRead: (parsed) => {
        if (values.strict && parsed.rejectedRows > 0) {
          const { line, reason } = parsed.rejected[0]!;
          throw new ImportFileError(`--strict: ${count.format(parsed.rejectedRows)} rows rejected (first: line ${line}: ${reason})`);
        }
      },
      onProgress: (done, total) => progress.update(done, { total, label: 'storing', unit: 'leads', every: PROGRESS_EVERY_LEADS }),
    });
    progress.stop();
    if (values.json) console.log(JSON.stringify(summary));
    else console.log(describe(file, history.store.location, summary, (performance.now() - started) / 1000));
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof ImportFileError) throw new CliError(`${file}: nothing imported: ${error.message}`);
    throw error;
  } finally {
    await history.close();
  }
}
