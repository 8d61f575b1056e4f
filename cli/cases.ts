/**
 * `leadflow rules test`: runs the cases of rule files, those written in the
 * file and those kept beside it in `vN.cases.json`, and prints each ✓ or ✗
 * with its first difference. `leadflow rules validate` runs them too.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadCaseFile, runCases, type Case, type CaseResult, type CompiledRuleSet } from '../engine/index';
import { CliError, readRuleSet, readText } from './io';

const VERSION_NAME = /^v[1-9][0-9]*$/;
const VERSION_FILE = /^v[1-9][0-9]*\.json$/;

/** `rules/v1.json` → `rules/v1.cases.json`: where cases added after publication are kept. */
export function caseFileOf(file: string): string {
  return file.replace(/(\.json)?$/, '.cases.json');
}

/** The cases of a rule file: its own, then those of its case file when there is one. */
export function readCases(file: string, ruleSet: CompiledRuleSet): Case[] {
  const own = ruleSet.definition.cases ?? [];
  const caseFile = caseFileOf(file);
  if (!existsSync(caseFile)) return [...own];
  const loaded = loadCaseFile(readText(caseFile));
  if (!loaded.ok) throw new CliError(loaded.problems.map((p) => `${caseFile}: ${formatProblem(p)}`).join('\n'));
  if (loaded.file.version !== ruleSet.version)
    throw new CliError(`${caseFile}: version: holds cases of ${loaded.file.version}, not of ${ruleSet.version}`);
  const names = new Set(own.map((c) => c.name));
  const clash = loaded.file.cases.findIndex((c) => names.has(c.name));
  if (clash >= 0) throw new CliError(`${caseFile}: cases[${clash}].name: "${loaded.file.cases[clash]!.name}" is also a case of ${file}`);
  return [...own, ...loaded.file.cases];
}

/** Prints one line per case, the first difference under a failure; returns how many failed. */
export function printResults(file: string, results: CaseResult[]): number {
  const failed = results.filter((result) => !result.passed).length;
  if (results.length === 0) {
    console.log(`${file}: no cases`);
    return 0;
  }
  const summary = failed === 0 ? 'all passed' : `${failed} failed`;
  console.log(`${file}: ${results.length} case${results.length === 1 ? '' : 's'}, ${summary}`);
  for (const result of results) {
    console.log(`  ${result.passed ? '✓' : '✗'} ${result.name}`);
    if (!result.passed) console.log(`      ${result.differences[0]!.message}`);
  }
  return failed;
}

/** A rule file named by path, or by version in ./rules; without one, every version in ./rules. */
function ruleFiles(target: string | undefined): string[] {
  if (target === undefined) {
    const dir = resolve('rules');
    const names = existsSync(dir) ? readdirSync(dir).filter((name) => VERSION_FILE.test(name)) : [];
    if (names.length === 0) throw new CliError('no rule files (vN.json) in ./rules; name a file or a version');
    return names.sort((a, b) => Number(a.slice(1, -5)) - Number(b.slice(1, -5))).map((name) => join('rules', name));
  }
  return [VERSION_NAME.test(target) ? join('rules', `${target}.json`) : target];
}

/** Runs the cases of a loaded rule file and prints them; returns how many failed. */
export function testRuleFile(file: string, ruleSet: CompiledRuleSet): number {
  return printResults(file, runCases(ruleSet, readCases(file, ruleSet)));
}

export function rulesTestCommand(argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true });
  if (positionals.length > 1) throw new CliError('usage: leadflow rules test [file|version]');
  let failed = 0;
  for (const file of ruleFiles(positionals[0])) failed += testRuleFile(file, readRuleSet(file));
  return failed > 0 ? 1 : 0;
}
