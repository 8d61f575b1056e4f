import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const exec = promisify(execFile);

/** Runs the real `leadflow` bin; resolves with exit code and output. */
async function leadflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [join(root, 'bin/leadflow.js'), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'leadflow-cli-'));
});

function writeRuleFile(name: string, change: (json: Record<string, any>) => void): string {
  const json = JSON.parse(readFileSync(join(root, 'rules/v1.json'), 'utf8'));
  change(json);
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(json, null, 2));
  return file;
}

describe('leadflow evaluate', () => {
  it('prints one line per lead matching the reference scoring worked by hand', async () => {
    const { code, stdout } = await leadflow('evaluate', '--rules', 'rules/v1.json', '--events', 'examples/events.jsonl');
    expect(code).toBe(0);
    const leads = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const brief = leads.map(({ leadId, score, fit, engagement, band, stage, route }) => [
      leadId,
      score,
      fit,
      engagement,
      band,
      stage,
      route.approach,
    ]);
    expect(brief).toEqual([
      // director (+10) at a 250-person company (+5); open 5 + click 10 + 2nd visit 25 + download 15
      ['ana', 70, 15, 55, 'hot', 'mql', 'phone'],
      // two opens and a webinar with a question: 5 + 5 + 20; the question asks for a meeting
      ['ben', 30, 0, 30, 'warm', 'inquiry', 'meeting'],
      // an existing customer's demo request: 30 points, straight to SQL
      ['cai', 30, 0, 30, 'warm', 'sql', 'meeting'],
      // click 10, halved over 30 days, + download 15 = 20; then 121 days idle: 20 × 0.5^(121/30) = 1.22, + open 5
      ['dan', 6.22, 0, 6.22, 'cold', 'dormant', 'email'],
    ]);
    expect(leads[0].explanation.at(-1)).toMatchObject({ stageChanges: [{ from: 'inquiry', to: 'mql', by: 'reached-mql-threshold' }] });
  });

  it('reports a bad event line with its number and field', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      '{"id":"a","leadId":"l","type":"email_open","occurredAt":"2026-01-01T00:00:00Z"}\n{"id":"b","leadId":"l","type":"email_open","occurredAt":"soon"}\nnot json\n',
    );
    const { code, stderr } = await leadflow('evaluate', '--rules', 'rules/v1.json', '--events', file);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:2: occurredAt:`);
    expect(stderr).toContain(`${file}:3: invalid JSON`);
  });

  it('reports an event type the rule set does not know', async () => {
    const file = join(dir, 'unknown.jsonl');
    writeFileSync(file, '{"id":"a","leadId":"l","type":"fax_sent","occurredAt":"2026-01-01T00:00:00Z"}\n');
    const { code, stderr } = await leadflow('evaluate', '--rules', 'rules/v1.json', '--events', file);
    expect(code).toBe(1);
    expect(stderr).toContain('event "a": type: unknown event type "fax_sent"');
  });
});

describe('leadflow rules', () => {
  it('validates the default rule set', async () => {
    const { code, stdout } = await leadflow('rules', 'validate', 'rules/v1.json');
    expect(code).toBe(0);
    expect(stdout).toMatch(/valid rule set v1/);
  });

  it('lists every problem of a bad rule file with its path, and fails', async () => {
    const file = writeRuleFile('bad.json', (j) => {
      j.scoring[1].on = ['email_clik'];
      j.bands.warm = 90;
    });
    const { code, stderr } = await leadflow('rules', 'validate', file);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `${file}: scoring[1].on[0]: unknown event type "email_clik" (declare it in eventTypes)`,
      `${file}: bands.warm: thresholds out of order: warm (90) must be below hot (60)`,
    ]);
  });

  it('diffs two versions in plain language', async () => {
    const file = writeRuleFile('v2.json', (j) => {
      j.version = 'v2';
      j.parent = 'v1';
      j.scoring[3].points = 25;
      j.lifecycle.thresholds.mql = 70;
    });
    const { code, stdout } = await leadflow('rules', 'diff', 'rules/v1.json', file);
    expect(code).toBe(0);
    expect(stdout).toBe('v1 → v2: 2 changes\n  Webinar attended: 20 → 25 points\n  MQL threshold: 60 → 70\n');
  });

  it('says what is missing when a file does not exist', async () => {
    const { code, stderr } = await leadflow('rules', 'validate', 'rules/nope.json');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('rules/nope.json: no such file');
  });
});
