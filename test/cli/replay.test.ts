import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeHistory, writeRules } from '../comparisons/fixtures';
import { leadflow, tempDir } from './helpers';

let dir: string;
let db: string;
let rulesDir: string;

beforeAll(async () => {
  dir = tempDir();
  db = join(dir, 'history.db');
  rulesDir = writeRules(join(dir, 'rules'));
  const imported = await leadflow('import', '--db', db, '--rules-dir', rulesDir, writeHistory(join(dir, 'history.jsonl')));
  expect(imported.code, imported.stderr).toBe(0);
});

const replay = (...args: string[]) => leadflow('replay', '--db', db, '--rules-dir', rulesDir, ...args);

describe('leadflow replay --json', () => {
  it('reports each version against the outcomes, as worked out by hand in the fixture', async () => {
    const { code, stdout, stderr } = await replay('--versions', 'v1,v2', '--json');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.source).toBe('replay');
    expect(report.events).toEqual({ read: 13, beforePeriod: 0, unknownTypes: [{}, {}] });
    const [v1, v2] = report.versions;
    expect(v1.leads).toEqual({ total: 5, resolved: 4, won: 2, lost: 2, openCountedAsLost: 0, open: 1 });
    // v1 hands over a only; v2 hands over a, c and d.
    expect([v1.handOffs, v2.handOffs]).toEqual([1, 3]);
    expect(v1.classification).toMatchObject({
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 1,
      trueNegatives: 2,
      precision: 1,
      recall: 0.5,
    });
    expect(v1.classification.f1).toBeCloseTo(2 / 3, 10);
    expect(v2.classification).toMatchObject({
      truePositives: 2,
      falsePositives: 1,
      falseNegatives: 0,
      trueNegatives: 1,
      recall: 1,
      f1: 0.8,
    });
    expect(v2.classification.precision).toBeCloseTo(2 / 3, 10);
    // v1 ranks both won leads (60, 35) above both lost ones (30, 10); v2 judges a at 30 (its hand-off), tied with d: 3.5 of 4 pairs.
    expect([v1.roc.auc, v2.roc.auc]).toEqual([1, 0.875]);
    expect(v1.bands.map((b: any) => [b.band, b.conversions, b.leads])).toEqual([
      ['hot', 1, 1],
      ['warm', 1, 2],
      ['cold', 0, 1],
    ]);
    expect(v2.bands.map((b: any) => [b.band, b.conversions, b.leads])).toEqual([
      ['hot', 0, 0],
      ['warm', 2, 3],
      ['cold', 0, 1],
    ]);
    expect([v1.lift[0].lift, v2.lift[0].lift]).toEqual([2, 2]);
    expect(v1.workload).toMatchObject({ weeks: [{ week: '2024-W01', handOffs: 1 }], meanPerWeek: 1, peakPerWeek: 1 });
    expect(v2.workload).toMatchObject({ weeks: [{ week: '2024-W01', handOffs: 3 }], meanPerWeek: 3, peakPerWeek: 3 });
    expect(v1.kpis.hotLeadConversion).toMatchObject({ numerator: 1, denominator: 1, rate: 1 });
    const [diff] = report.diffs;
    expect(diff.changes.map((c: any) => c.leadId)).toEqual(['a', 'c', 'd']);
    expect(diff).toMatchObject({ from: 'v1', to: 'v2', leads: 5, bandChanged: 1, handOffChanged: 2, stageChanged: 2 });
    expect(report.whatIf.map((curve: any) => [curve.version, curve.threshold])).toEqual([
      ['v1', 60],
      ['v2', 30],
    ]);
  });

  it('prints byte-identical JSON on two runs', async () => {
    const first = await replay('--versions', 'v1,v2', '--json');
    const second = await replay('--versions', 'v1,v2', '--json');
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it('leaves out leads first seen before --since, and events from --until on', async () => {
    const { stdout } = await replay('--versions', 'v1', '--json', '--since', '2024-01-01T09:05:00Z', '--until', '2024-01-01T11:00:00Z');
    const report = JSON.parse(stdout);
    // Every lead starts at 09:00: all are left out.
    expect(report.versions[0].leads.total).toBe(0);
    expect(report.events).toMatchObject({ read: 9, beforePeriod: 9 });
    expect(report.period).toMatchObject({ since: '2024-01-01T09:05:00.000Z', until: '2024-01-01T11:00:00.000Z' });
  });
});

describe('leadflow replay (table)', () => {
  it('shows every version side by side and the leads that change', async () => {
    const { code, stdout } = await replay('--versions', 'v1,v2');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const row = (name: string) => lines.find((line) => line.startsWith(name))?.replace(/\s+/g, ' ');
    expect(lines[0]).toBe('Replayed 13 events from 2024-01-01T09:00:00.000Z to 2024-01-01T12:00:00.000Z');
    expect(lines[1]).toBe(
      '5 leads: 2 won, 2 lost, 1 open; each judged at its hand-off within 90 days of its first activity, else after its last event within them',
    );
    expect(row('Hand-offs ')).toBe('Hand-offs 1 3');
    // Wilson intervals: 1 of 1 is 100% (20.7–100%); 2 of 3 is 66.7% (20.8–93.9%); 1 of 2 is 50% (9.5–90.5%); 2 of 2 is 100% (34.2–100%).
    expect(row('Precision')).toBe('Precision 100.0% (20.7–100.0%) 66.7% (20.8–93.9%)');
    expect(row('Recall')).toBe('Recall 50.0% (9.5–90.5%) 100.0% (34.2–100.0%)');
    expect(row('F1')).toBe('F1 0.667 0.800');
    // Two won and two lost leads: no AUC from them can be narrower than a Wilson interval over two leads.
    expect(row('AUC')).toBe('AUC 1.000 (0.342–1.000) 0.875 (0.264–1.000)');
    expect(row('Conversion, warm')).toBe('Conversion, warm 50.0% (1/2, few) 66.7% (2/3, few)');
    expect(row('Top-decile lift')).toBe('Top-decile lift 2.00× 2.00×');
    expect(stdout).toContain('Note: Only 4 leads are resolved, fewer than 30');
    expect(stdout).toContain('v2 against v1 on 4 resolved of 5 leads: no detectable difference in hand-offs (+200%');
    expect(stdout).toContain('no detectable difference in precision (−33.3 points');
    expect(stdout).toContain('v1 → v2: 3 of 5 leads change (band 1, hand-off 2, final stage 2)');
    // a is judged at each version's hand-off, 60 under v1, 30 under v2: the MQL threshold moved it, no rule did.
    expect(row('  a ')).toBe(' a won 60 hot, handed off, mql 30 warm, handed off, mql mql 60→30 –');
  });

  it('counts open leads idle long enough as lost, and judges within the horizon asked for', async () => {
    // Every event falls within three hours: with --open-as-lost-after 0.1 (2.4 hours) the lead open since 09:00 counts as lost.
    const { code, stdout, stderr } = await replay('--versions', 'v1,v2', '--json', '--horizon', '30d', '--open-as-lost-after', '0.1');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.options).toEqual({ horizonDays: 30, openAsLostAfterDays: 0.1, minSample: 30 });
    expect(report.versions[0].leads).toMatchObject({ resolved: 5, lost: 2, openCountedAsLost: 1, open: 0 });
    expect(report.notes.map((note: any) => note.code)).toContain('open-as-lost');
    const bad = await replay('--versions', 'v1,v2', '--horizon', 'soon');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('--horizon must be a positive number of days up to 3650, like 90d or 12w, not "soon"');
  });

  it('explains what is wrong with its arguments', async () => {
    expect((await replay()).stderr).toContain('usage: leadflow replay');
    const unknown = await replay('--versions', 'v1,v9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('v9: no rule set v9');
    expect((await replay('--versions', 'v1,v1')).stderr.trim()).toBe('--versions: v1 is named twice');
    expect((await replay('--versions', 'v1', '--since', 'yesterday')).stderr.trim()).toBe(
      '--since must be an ISO 8601 time, not "yesterday"',
    );
    const backwards = await replay('--versions', 'v1', '--since', '2024-02-01T00:00:00Z', '--until', '2024-01-01T00:00:00Z');
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toContain('must be after since');
  });
});
