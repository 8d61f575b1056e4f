import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorkload } from '../../bench/workload';
import {
  loadRuleSetOrThrow,
  replay,
  replayReport,
  thresholdCurve,
  type CompiledRuleSet,
  type LeadEvent,
  type ReplayReport,
  type ThresholdCurve,
} from '../../engine/index';
import { runComparison } from '../../server/comparisons/run';
import { storeHistory } from '../../server/history-import';
import { openHistory, type History } from '../../server/index';
import { removeWorkspace, tempWorkspace, type Workspace } from '../server/helpers';
import { ROOT, variant } from './fixtures';

let workspace: Workspace;
let history: History;
let events: LeadEvent[];
let ruleSets: CompiledRuleSet[];

beforeAll(async () => {
  workspace = await tempWorkspace();
  history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
  events = generateWorkload({ leads: 2_000, events: 20_000 }).events;
  await storeHistory(history, events, { recordedBy: 'test' });
  ruleSets = [
    loadRuleSetOrThrow(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8')),
    loadRuleSetOrThrow(variant('v2', (rules) => (rules.lifecycle.thresholds.mql = 45))),
    loadRuleSetOrThrow(
      variant('v3', (rules) => {
        rules.decay.halfLifeDays = 14;
        for (const rule of rules.scoring) if (rule.id === 'webinar-attended') rule.points = 35;
      }),
    ),
  ];
}, 120_000);
afterAll(async () => {
  await history.close();
  await removeWorkspace(workspace);
});

/** The engine's report as the server sends it: the source first, the what-if curves before the notes. */
function serverShaped({ notes, ...report }: ReplayReport, whatIf: ThresholdCurve[]): string {
  return JSON.stringify({ source: 'replay', ...report, whatIf, notes });
}

describe('a comparison split between workers', () => {
  it('gives the engine’s report, byte for byte, however many workers share the replay', async () => {
    const inProcess = replay(ruleSets, events);
    const expected = serverShaped(
      replayReport(inProcess),
      ruleSets.map((_, i) => thresholdCurve(inProcess, i)),
    );
    // Four workers: more than versions, so one replays its share of the leads without computing any version's metrics.
    for (const workers of [1, 2, 3, 4]) {
      const json = await runComparison(history.store, { source: 'replay', ruleSets }, { workers });
      expect(json === expected, `${workers} workers`).toBe(true);
    }
    // Pages as small as a server reads them, and smaller: many leads held back from one page to the next.
    for (const pageSize of [2_000, 37]) {
      const json = await runComparison(history.store, { source: 'replay', ruleSets }, { workers: 2, pageSize });
      expect(json === expected, `pages of ${pageSize} events`).toBe(true);
    }
    const report = JSON.parse(expected);
    expect(report.versions.map((v: { handOffs: number }) => v.handOffs).every((n: number) => n > 0)).toBe(true);
    expect(report.diffs.map((d: { changes: unknown[] }) => d.changes.length).every((n: number) => n > 0)).toBe(true);
  }, 120_000);

  it('gives the engine’s report for a period, open leads judged at its end, however many workers share the replay', async () => {
    const period = { since: '2026-01-10T00:00:00Z', until: '2026-03-01T00:00:00Z' };
    const inProcess = replay(ruleSets, events, period);
    expect(inProcess.events.beforePeriod).toBeGreaterThan(0);
    expect(inProcess.events.read).toBeLessThan(events.length);
    const expected = serverShaped(
      replayReport(inProcess),
      ruleSets.map((_, i) => thresholdCurve(inProcess, i)),
    );
    for (const workers of [2, 3]) {
      const json = await runComparison(history.store, { source: 'replay', ruleSets, ...period }, { workers });
      expect(json === expected, `${workers} workers`).toBe(true);
    }
  }, 120_000);

  it('shares the replay of a single version between workers', async () => {
    const single = [ruleSets[1]!];
    const inProcess = replay(single, events);
    const expected = serverShaped(replayReport(inProcess), [thresholdCurve(inProcess, 0)]);
    expect((await runComparison(history.store, { source: 'replay', ruleSets: single }, { workers: 2 })) === expected).toBe(true);
  }, 120_000);

  it('refuses a comparison of no version', async () => {
    await expect(runComparison(history.store, { source: 'replay', ruleSets: [] })).rejects.toThrow(
      'a comparison needs at least one version',
    );
  });

  it('reports progress up to the whole history and stops when asked', async () => {
    const seen: Array<[number, number]> = [];
    await runComparison(
      history.store,
      { source: 'replay', ruleSets },
      { workers: 2, onProgress: (done, total) => seen.push([done, total]) },
    );
    expect(seen.at(-1)).toEqual([events.length, events.length]);
    expect(seen.map(([done]) => done)).toEqual([...seen.map(([done]) => done)].sort((a, b) => a - b));

    const stop = new AbortController();
    const running = runComparison(history.store, { source: 'replay', ruleSets }, { signal: stop.signal });
    stop.abort();
    await expect(running).rejects.toThrow('the comparison was stopped');
  }, 120_000);

  it('leaves no listener on a signal that outlives its comparisons', async () => {
    // The server's line of jobs passes one signal to every job it runs.
    const line = new AbortController();
    for (let i = 0; i < 3; i++) await runComparison(history.store, { source: 'replay', ruleSets }, { signal: line.signal });
    expect(getEventListeners(line.signal, 'abort')).toHaveLength(0);
  }, 120_000);
});
