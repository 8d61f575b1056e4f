/** The `leadflow` command line. */
import { parseArgs } from 'node:util';
import { diffRuleSets } from '../engine/index';
import { rulesTestCommand, testRuleFile } from './cases';
import { evaluateCommand } from './evaluate';
import { importCommand } from './import';
import { replayCommand } from './replay';
import { suggestCommand } from './suggest';
import { CliError, readRuleSet } from './io';

const USAGE = `Usage: leadflow <command> [options]

Commands:
  serve [--port 8787] [--db <file|postgres://…>] [--demo]   Start the API server (serve --help: every option)
  rules validate <file>                                      Check a rule file (every problem with its JSON path) and run its cases
  rules test [file|version]                                  Run the cases of a rule file (default: every version in ./rules)
  rules diff <a> <b>                                         What changed between two rule files, in plain language
  evaluate --rules <file> --events <file.jsonl>              Evaluate events; prints one JSON line per lead
  import [--db <file|url>] [--format F] <file>               Load history (events, attributes, outcomes) into a database
  replay [--db <file|url>] --versions v1,v2 [--json]         Replay stored history through versions; compare against outcomes
  suggest --from <version> (--events|--input|--db) …         Fit point values to recorded outcomes as a new version
`;

type Command = (argv: string[]) => Promise<number> | number;

const rulesValidate: Command = (argv) => {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true });
  if (positionals.length !== 1) throw new CliError('usage: leadflow rules validate <file>');
  const ruleSet = readRuleSet(positionals[0]!);
  const d = ruleSet.definition;
  console.log(
    `${positionals[0]}: valid rule set ${d.version} (${d.scoring.length} scoring rules, ${d.lifecycle.transitions.length} transitions, ${d.routing.rules.length} routing rules)`,
  );
  return testRuleFile(positionals[0]!, ruleSet) > 0 ? 1 : 0;
};

const rulesDiff: Command = (argv) => {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true });
  if (positionals.length !== 2) throw new CliError('usage: leadflow rules diff <a> <b>');
  const [a, b] = positionals.map((file) => readRuleSet(file));
  const changes = diffRuleSets(a!.definition, b!.definition);
  console.log(
    `${a!.version} → ${b!.version}: ${changes.length === 0 ? 'no changes' : `${changes.length} change${changes.length === 1 ? '' : 's'}`}`,
  );
  for (const change of changes) console.log(`  ${change.text}`);
  return 0;
};

const serve: Command = async (argv) => {
  const {
    parseServeArgs,
    serve: start,
    DatabaseInUseError,
    StorageFault,
    WeakAdminKeyError,
    SERVE_USAGE,
  } = await import('../server/index');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const server = await start(parseServeArgs(argv)).catch((error: unknown) => {
    // Not a crash: the message says what to do.
    const told = error instanceof DatabaseInUseError || error instanceof WeakAdminKeyError || error instanceof StorageFault;
    throw told ? new CliError(error.message) : error;
  });
  console.log(`Leadflow listening on ${server.url}`);
  return new Promise<number>(() => {});
};

const COMMANDS: Record<string, Command> = {
  'rules validate': rulesValidate,
  'rules diff': rulesDiff,
  'rules test': rulesTestCommand,
  evaluate: evaluateCommand,
  import: importCommand,
  replay: replayCommand,
  suggest: suggestCommand,
  serve,
};

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  const command = COMMANDS[`${first} ${second}`] ?? COMMANDS[first ?? ''];
  if (!command || first === 'help' || first === '--help') {
    (command ? console.log : console.error)(USAGE);
    return command || first === 'help' || first === '--help' ? 0 : 1;
  }
  const args = COMMANDS[`${first} ${second}`] ? rest : argv.slice(1);
  try {
    return await command(args);
  } catch (error) {
    if (error instanceof CliError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error((error as Error).message);
      return 1;
    }
    throw error;
  }
}
