/**
 * Rule-set versions as files: `rules/vN.json`, one per version. Files are
 * created exclusively (flag "wx") and never rewritten, so a version's content
 * never changes once someone may have activated or compared it. Cases added
 * to a version after it was published are kept beside it in
 * `rules/vN.cases.json`, written by hand, never by the server.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCaseFile, loadRuleSet, type Case, type CompiledRuleSet, type Problem, type RuleSetDefinition } from '../engine/index';

const VERSION_FILE = /^v([1-9][0-9]*)\.json$/;
/** How many times creation moves to the next number when another writer took one. */
const CREATE_ATTEMPTS = 20;

export interface VersionSummary {
  version: string;
  parent: string | null;
  createdAt: string;
  author: string;
  note: string;
}

export type VersionEntry = { version: string; ok: true; summary: VersionSummary } | { version: string; ok: false; problems: Problem[] };

export type CreateResult = { ok: true; ruleSet: CompiledRuleSet } | { ok: false; problems: Problem[] };

export type CasesResult = { ok: true; cases: Case[] } | { ok: false; problems: Problem[] };

function versionNumber(version: string): number {
  return Number(version.slice(1));
}

export function summaryOf(definition: RuleSetDefinition): VersionSummary {
  const { version, parent, createdAt, author, note } = definition;
  return { version, parent, createdAt, author, note };
}

export class RuleFiles {
  /** Compiled versions; safe to keep since files are never rewritten. */
  private readonly compiled = new Map<string, CompiledRuleSet>();

  constructor(readonly dir: string) {}

  /**
   * The cases of a loaded version: those in its file, then those kept beside
   * it in `vN.cases.json`. Problems of the case file carry its name in their path.
   */
  async cases(ruleSet: CompiledRuleSet): Promise<CasesResult> {
    const own = ruleSet.definition.cases ?? [];
    const name = `${ruleSet.version}.cases.json`;
    let text: string;
    try {
      text = await readFile(join(this.dir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, cases: [...own] };
      throw error;
    }
    const loaded = loadCaseFile(text);
    const at = (path: string) => (path ? `${name}: ${path}` : name);
    if (!loaded.ok) return { ok: false, problems: loaded.problems.map((p) => ({ ...p, path: at(p.path) })) };
    if (loaded.file.version !== ruleSet.version)
      return {
        ok: false,
        problems: [{ path: at('version'), message: `holds cases of ${loaded.file.version}, not of ${ruleSet.version}` }],
      };
    const names = new Set(own.map((c) => c.name));
    const clash = loaded.file.cases.findIndex((c) => names.has(c.name));
    if (clash >= 0)
      return {
        ok: false,
        problems: [
          { path: at(`cases[${clash}].name`), message: `"${loaded.file.cases[clash]!.name}" is also a case of ${ruleSet.version}.json` },
        ],
      };
    return { ok: true, cases: [...own, ...loaded.file.cases] };
  }

  /** Version names present in the directory, in version order. */
  async versionNames(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names
      .map((name) => VERSION_FILE.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => `v${match[1]}`)
      .sort((a, b) => versionNumber(a) - versionNumber(b));
  }

  /** Every version with its metadata, or the problems that keep it from loading. */
  async list(): Promise<VersionEntry[]> {
    const entries: VersionEntry[] = [];
    for (const version of await this.versionNames()) {
      const loaded = await this.load(version);
      entries.push(
        loaded.ok
          ? { version, ok: true, summary: summaryOf(loaded.ruleSet.definition) }
          : { version, ok: false, problems: loaded.problems },
      );
    }
    return entries;
  }

  /** Loads and compiles one version; `undefined` when there is no such file. */
  async get(version: string): Promise<CompiledRuleSet | undefined> {
    const loaded = await this.load(version);
    return loaded.ok ? loaded.ruleSet : undefined;
  }

  async load(version: string): Promise<CreateResult | { ok: false; problems: Problem[]; missing: true }> {
    const cached = this.compiled.get(version);
    if (cached) return { ok: true, ruleSet: cached };
    if (!/^v[1-9][0-9]*$/.test(version))
      return { ok: false, problems: [{ path: '', message: `not a version name: "${version}"` }], missing: true };
    let text: string;
    try {
      text = await readFile(join(this.dir, `${version}.json`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { ok: false, problems: [{ path: '', message: `no rule set ${version}` }], missing: true };
      throw error;
    }
    const result = loadRuleSet(text);
    if (!result.ok) return result;
    if (result.ruleSet.version !== version) {
      return { ok: false, problems: [{ path: 'version', message: `file ${version}.json declares version "${result.ruleSet.version}"` }] };
    }
    this.compiled.set(version, result.ruleSet);
    return result;
  }

  /**
   * Validates a new rule set and writes it as the next version. The version
   * number is assigned here; `fill` completes the definition for that number
   * (version, parent, author, time) before validation.
   */
  async create(fill: (version: string) => Record<string, unknown>): Promise<CreateResult> {
    const names = await this.versionNames();
    let next = names.length === 0 ? 1 : versionNumber(names[names.length - 1]!) + 1;
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++, next++) {
      const version = `v${next}`;
      const definition = fill(version);
      const result = loadRuleSet(definition);
      if (!result.ok) return result;
      try {
        await writeFile(join(this.dir, `${version}.json`), `${JSON.stringify(definition, null, 2)}\n`, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      this.compiled.set(version, result.ruleSet);
      return result;
    }
    throw new Error(`could not find a free version number in ${this.dir}`);
  }
}
