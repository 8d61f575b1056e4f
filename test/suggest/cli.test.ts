import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadRuleSet, type LeadEvent } from '../../engine/index';
import { main } from '../../cli/index';
import { suggestCommand } from '../../cli/suggest';
import { CliError } from '../../cli/io';
import { MAX_BATCH_EVENTS } from '../../server/config';
import { startServer } from '../server/helpers';
import { syntheticHistory } from './fixtures';

const ROOT = new URL('../../', import.meta.url);
const LEADS_CSV = new URL('../shared/data/x-education/Leads.csv', ROOT);

let dir: string;
let rulesDir: string;
let output: string[];

/** Runs the command with console output captured; returns the exit code. */
async function suggest(...argv: string[]): Promise<number> {
  output = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void output.push(line));
  try {
    return await suggestCommand(['--rules-dir', rulesDir, ...argv]);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

function writeEvents(events: LeadEvent[]): string {
  const file = join(dir, 'history.jsonl');
  writeFileSync(file, events.map((event) => JSON.stringify(event)).join('\n'));
  return file;
}

const file = (name: string) => readFileSync(join(rulesDir, name), 'utf8');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leadflow-suggest-'));
  rulesDir = join(dir, 'rules');
  cpSync(new URL('rules/', ROOT), rulesDir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('leadflow suggest', () => {
  const history = syntheticHistory({ leads: 400 });

  it('writes the next version as a valid rule set and prints its sample and the three judged AUCs with intervals', async () => {
    expect(await suggest('--from', 'v1', '--events', writeEvents(history))).toBe(0);
    const written = loadRuleSet(file('v2.json'));
    expect(written.ok && written.ruleSet.definition.parent).toBe('v1');
    const text = output.join('\n');
    expect(text).toContain(`Suggested v2 from v1: ${join(rulesDir, 'v2.json')}`);
    expect(text).toMatch(
      /Learned from 280 leads \(\d+ won, \d+ lost\); held out 120 leads \(\d+ won, \d+ lost\); judged with a 90-day horizon/,
    );
    expect(text).toMatch(/v1 \(original\)\s+0\.\d{3}\s+0\.\d{3}–0\.\d{3}/);
    expect(text).toMatch(/logistic regression²\s+0\.\d{3}\s+0\.\d{3}–0\.\d{3}/);
    expect(text).toMatch(/v2 \(suggested points\)\s+0\.\d{3}\s+0\.\d{3}–0\.\d{3}/);
  });

  it('passes --horizon to every replay and says so', async () => {
    expect(await suggest('--from', 'v1', '--events', writeEvents(history), '--horizon', '20d')).toBe(0);
    expect(output.join('\n')).toContain('judged with a 20-day horizon');
    expect(JSON.parse(file('v2.json')).note).toContain('20-day horizon');
    await expect(suggest('--from', 'v1', '--events', writeEvents(history), '--horizon', '0')).rejects.toThrow(
      /--horizon must be a positive number of days/,
    );
  });

  it('refuses a history with only won deals: exit 1, the cause and the fix on stderr, no file written', async () => {
    const wonOnly = writeEvents(history.filter((event) => event.type !== 'deal_lost'));
    const stderr: string[] = [];
    const stdout: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line));
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void stdout.push(line));
    try {
      expect(await main(['suggest', '--rules-dir', rulesDir, '--from', 'v1', '--events', wonOnly])).toBe(1);
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
    expect(stdout).toEqual([]);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      /^the history has \d+ won leads and no lost ones: suggest needs both outcomes to learn what separates them; import the lost deals \(deal_lost events\) as well/,
    );
    expect(existsSync(join(rulesDir, 'v2.json'))).toBe(false);
  });

  it('never overwrites: a second run writes the next free version, identical but for its number', async () => {
    const events = writeEvents(history);
    await suggest('--from', 'v1', '--events', events);
    const first = file('v2.json');
    expect(await suggest('--from', 'v1', '--events', events)).toBe(0);
    expect(file('v2.json')).toBe(first);
    expect(file('v3.json')).toBe(first.replace('"version": "v2"', '"version": "v3"'));
  });

  it('writes to --out only when the file does not exist yet', async () => {
    const out = join(dir, 'candidate.json');
    const events = writeEvents(history);
    expect(await suggest('--from', 'v1', '--events', events, '--out', out)).toBe(0);
    expect(loadRuleSet(readFileSync(out, 'utf8')).ok).toBe(true);
    expect(existsSync(join(rulesDir, 'v2.json'))).toBe(false);
    await expect(suggest('--from', 'v1', '--events', events, '--out', out)).rejects.toThrow(/already exists/);
  });

  it('reads a data set through its adapter', async () => {
    const csv = readFileSync(LEADS_CSV, 'utf8').split('\r\n').slice(0, 1201).join('\r\n');
    writeFileSync(join(dir, 'Leads.csv'), csv);
    expect(await suggest('--from', 'v1', '--format', 'x-education', '--input', join(dir, 'Leads.csv'), '--seed', '3')).toBe(0);
    expect(JSON.parse(file('v2.json')).note).toContain('Leads.csv (x-education)');
    expect(JSON.parse(file('v2.json')).note).toContain('seed 3');
  });

  it('reads the history from the event store as from the file it was loaded from', async () => {
    const server = await startServer({ keep: true });
    try {
      for (let i = 0; i < history.length; i += MAX_BATCH_EVENTS) {
        const reply = await server.call('POST', '/v1/events/batch', { body: { events: history.slice(i, i + MAX_BATCH_EVENTS) } });
        expect(reply.status).toBe(200);
      }
    } finally {
      await server.close();
    }
    rulesDir = server.rulesDir;
    expect(await suggest('--from', 'v1', '--db', server.db, '--out', join(dir, 'from-db.json'))).toBe(0);
    expect(await suggest('--from', 'v1', '--events', writeEvents(history), '--out', join(dir, 'from-file.json'))).toBe(0);
    const withoutSource = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')).note.replace(/History: [^,]+, /, '');
    expect(withoutSource('from-db.json')).toBe(withoutSource('from-file.json'));
    rmSync(server.dir, { recursive: true, force: true });
  });

  it('refuses bad options with a message, not a stack trace', async () => {
    const events = writeEvents(history);
    await expect(suggest('--events', events)).rejects.toThrow(CliError);
    await expect(suggest('--from', 'v9', '--events', events)).rejects.toThrow(/no rule set v9/);
    await expect(suggest('--from', 'v1', '--events', events, '--hold-out', '1.5')).rejects.toThrow(/--hold-out/);
    await expect(suggest('--from', 'v1')).rejects.toThrow(/exactly one history/);
    await expect(suggest('--from', 'v1', '--format', 'crm', '--input', events)).rejects.toThrow(/unknown data set "crm"/);
  });
});
