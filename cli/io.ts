/** Reading rule files and event files for the CLI, with errors that name the file and line. */
import { readFileSync, statSync } from 'node:fs';
import { leadEventSchema, loadRuleSet, formatProblem, type CompiledRuleSet, type LeadEvent } from '../engine/index';
import { jsonPath } from '../engine/ruleset';

/** A user-facing error: printed without a stack trace, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** A number of days: "90d", "12w" or a plain number of days. */
export function daysOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(d|w)?$/.exec(value.trim());
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : NaN;
  if (!(days > 0 && days <= 3650))
    throw new CliError(`--${name} must be a positive number of days up to 3650, like 90d or 12w, not "${value}"`);
  return days;
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** The size in bytes of a file to be read as a stream, with the same errors as {@link readText}. */
export function fileSize(file: string): number {
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' });
    return stat.size;
  } catch (error) {
    throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** Loads and compiles a rule file, or throws a CliError listing every problem. */
export function readRuleSet(file: string): CompiledRuleSet {
  const result = loadRuleSet(readText(file));
  if (!result.ok) throw new CliError(result.problems.map((p) => `${file}: ${formatProblem(p)}`).join('\n'));
  return result.ruleSet;
}

/** Parses a JSON Lines file of events; every bad line is reported with its number. */
export function readEvents(file: string): LeadEvent[] {
  const events: LeadEvent[] = [];
  const problems: string[] = [];
  readText(file)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        problems.push(`${file}:${i + 1}: invalid JSON: ${(error as Error).message}`);
        return;
      }
      const parsed = leadEventSchema.safeParse(value);
      if (parsed.success) events.push(parsed.data);
      else for (const issue of parsed.error.issues) problems.push(`${file}:${i + 1}: ${jsonPath(issue.path) || 'event'}: ${issue.message}`);
    });
  if (problems.length) throw new CliError(problems.join('\n'));
  return events;
}
