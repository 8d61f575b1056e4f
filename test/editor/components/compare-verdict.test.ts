import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import CompareReport from '../../../editor/src/lib/components/CompareReport.svelte';
import Harness from './Harness.svelte';
import { change, demoReport, measure, reportWith } from './fixtures';

const base = demoReport();

beforeAll(() => {
  // jsdom has no canvas: the charts are skipped, their tables are what is tested here.
  const canvas = (globalThis as unknown as { HTMLCanvasElement: { prototype: { getContext: () => null } } }).HTMLCanvasElement;
  canvas.prototype.getContext = () => null;
});

/** v2 hands off fewer leads with better precision, and no detectable difference in recall or AUC. */
const decided = reportWith((r) => {
  r.diffs[0]!.verdict = {
    leads: 800,
    resolved: 420,
    measures: [
      measure('handOffs', [412, 338, -0.18, -0.23, -0.13], 'fewer'),
      measure('precision', [0.36, 0.42, 0.06, 0.02, 0.1], 'better'),
      measure('recall', [0.61, 0.6, -0.01, -0.05, 0.03], 'no-difference'),
      measure('auc', [0.69, 0.71, 0.02, -0.01, 0.05], 'no-difference'),
    ],
  };
}, base);

/** Only won deals in the export: nothing was lost, so precision cannot be measured. */
const wonOnly = reportWith((r) => {
  for (const v of r.versions) {
    v.leads = { ...v.leads, won: v.leads.resolved, lost: 0, openCountedAsLost: 0 };
    v.classification.precision = null;
    v.classification.precisionInterval = { low: null, high: null };
  }
  r.notes = [{ code: 'no-lost-outcomes', message: 'The resolved leads were all won.' }];
  r.diffs[0]!.verdict.measures = r.diffs[0]!.verdict.measures.map((m) =>
    m.measure === 'precision' || m.measure === 'auc' ? measure(m.measure, [null, null, null, null, null], 'unknown') : m,
  );
}, base);

function show(report = decided, locale: 'en' | 'ja' = 'en', ondownload?: unknown) {
  render(Harness, { props: { component: CompareReport, locale, props: { report, ondownload } } });
}

describe('the verdict in words', () => {
  it('says how many fewer leads the new version hands off and each measure’s size and interval', () => {
    show();
    expect(within(screen.getByTestId('verdict-v2')).getByTestId('verdict-sentence').textContent!.trim()).toBe(
      'v2 hands off 18% fewer leads (±5%): better precision (+6 points, 95% interval +2 to +10), ' +
        'no detectable difference in recall (-1 points, 95% interval -5 to +3), ' +
        'AUC 0.71 vs 0.69 (no detectable difference: +0.02, 95% interval -0.01 to +0.05).',
    );
  });

  it('says it in Japanese', () => {
    show(decided, 'ja');
    expect(screen.getByTestId('verdict-sentence').textContent!.trim()).toBe(
      'v2 の引き継ぎは 18% 少ない（±5%）：適合率は向上（+6 ポイント、95% 区間 +2〜+10）、' +
        '再現率に検出できる差なし（-1 ポイント、95% 区間 -5〜+3）、AUC 0.71 対 0.69（検出できる差なし：+0.02、95% 区間 -0.01〜+0.05）。',
    );
  });

  it('says what the verdict rests on: resolved leads and the judging horizon', () => {
    show();
    expect(screen.getByTestId('verdict-v2').textContent).toContain(
      `Judged on 420 of 800 leads, those with an outcome, the same leads under both versions; hand-offs within ${base.options.horizonDays} days`,
    );
  });
});

describe('a measure that cannot be told', () => {
  it('reads precision as unknown, never 100%, when no lead was lost, and says why', () => {
    show(wonOnly);
    const precision = within(screen.getByTestId('table-precision-recall'))
      .getAllByRole('row')
      .find((row) => row.firstElementChild?.textContent === 'Precision')!;
    expect([...precision.querySelectorAll('td')].map((cell) => cell.textContent)).toEqual(['unknown', 'unknown']);
    const sentence = screen.getByTestId('verdict-sentence').textContent!;
    expect(sentence).toContain('precision unknown (no lost outcomes in the data)');
    expect(sentence).toContain('AUC unknown (no lost outcomes in the data)');
    expect(sentence).not.toContain('100%');
  });

  it('puts the reason in a warning banner, in the reader’s language', () => {
    show(wonOnly, 'ja');
    const banner = screen.getByTestId('report-notes');
    expect(banner.textContent).toContain('期間内に失注の結果を持つリードがないため、適合率は測れません');
  });
});

describe('the notes banner', () => {
  it('words each known note with the report’s numbers and keeps the server’s message for others', () => {
    const noted = reportWith((r) => {
      r.versions[0]!.leads = { ...r.versions[0]!.leads, total: 800, open: 120 };
      r.notes = [
        { code: 'open-leads', message: '120 of 800 leads are open.' },
        { code: 'shadow-from-the-future', message: 'A note this editor does not know yet.' },
      ];
    }, base);
    show(noted);
    const items = within(screen.getByTestId('report-notes')).getAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual([
      '120 of 800 leads have no outcome (won or lost) yet: they count in hand-offs, not in precision, recall or AUC.',
      'A note this editor does not know yet.',
    ]);
  });

  it('words the notes of a shadow comparison in Japanese', () => {
    const shadow = reportWith((r) => {
      r.notes = [
        { code: 'shadow-challenger-leads', message: 'Only leads the challenger has evaluated are compared.' },
        { code: 'shadow-other-versions', message: '1204 live results were computed by a version active earlier, not by the one named.' },
      ];
    }, base);
    show(shadow, 'ja');
    const items = within(screen.getByTestId('report-notes')).getAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual([
      'チャレンジャーが評価したリードだけを比較しています。',
      '1,204 件の実績結果は、指定したバージョンではなく、以前に有効だったバージョンで計算されています。',
    ]);
  });

  it('comes after the verdict, at the top of the report', () => {
    const noted = reportWith((r) => (r.notes = [{ code: 'no-won-outcomes', message: '' }]), decided);
    show(noted);
    const report = screen.getByTestId('compare-report');
    const order = [...report.children].map((child) => child.getAttribute('data-testid'));
    expect(order.slice(0, 2)).toEqual(['verdict-v2', 'report-notes']);
  });
});

describe('small samples', () => {
  const sparse = reportWith((r) => {
    for (const v of r.versions) {
      v.bands = v.bands.map((row) => ({ ...row, small: row.band === 'hot' }));
      v.lift = v.lift.map((row) => ({ ...row, small: false }));
    }
  }, base);

  it('marks the rate of a band drawn from few leads in the chart’s table, with a legend', () => {
    show(sparse);
    const table = screen.getByTestId('table-bands');
    const hot = within(table)
      .getAllByRole('row')
      .find((row) => row.firstElementChild?.textContent === 'Hot')!;
    const warm = within(table)
      .getAllByRole('row')
      .find((row) => row.firstElementChild?.textContent === 'Warm')!;
    expect(hot.querySelectorAll('td.few')).toHaveLength(2);
    expect(within(hot).getAllByText('few leads')).toHaveLength(2);
    expect(warm.querySelectorAll('td.few')).toHaveLength(0);
    expect(screen.getByTestId('few-legend-bands').textContent).toContain(`drawn from fewer than ${base.options.minSample} leads`);
    expect(screen.queryByTestId('few-legend-deciles')).toBeNull();
  });
});

describe('the changed leads', () => {
  const listed = reportWith((r) => {
    r.diffs[0]!.changes = [
      change('lead-a', 'won', ['band', 'hand-off'], [{ threshold: 'hot', from: 60, to: 50 }]),
      change('lead-b', 'lost', ['band']),
      change('lead-c', null, ['stage']),
      change('lead-d', 'won', ['stage'], [{ threshold: 'mql', from: 60, to: 80 }]),
    ];
  }, base);
  const listedIds = () =>
    within(screen.getByTestId('changes-v2'))
      .getAllByRole('link')
      .map((link) => link.textContent);

  it('filters by outcome and by kind of change', async () => {
    show(listed);
    expect(listedIds()).toEqual(['lead-a', 'lead-b', 'lead-c', 'lead-d']);
    await fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'won' } });
    expect(listedIds()).toEqual(['lead-a', 'lead-d']);
    await fireEvent.change(screen.getByLabelText('Change'), { target: { value: 'stage' } });
    expect(listedIds()).toEqual(['lead-d']);
    await fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'open' } });
    expect(listedIds()).toEqual(['lead-c']);
    expect(screen.getByText('1 of 4 changed leads match.')).toBeTruthy();
  });

  it('says which thresholds moved each lead', () => {
    show(listed);
    const cells = within(screen.getByTestId('changes-v2'))
      .getAllByTestId('thresholds')
      .map((cell) => cell.textContent!.trim());
    expect(cells).toEqual(['Hot 60→50', '', '', 'MQL 60→80']);
  });

  it('downloads the list as CSV with the filters shown', async () => {
    const ondownload = vi.fn(async () => {});
    show(listed, 'en', ondownload);
    await fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'lost' } });
    await fireEvent.change(screen.getByLabelText('Change'), { target: { value: 'band' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    expect(ondownload).toHaveBeenCalledWith(0, { outcome: 'lost', kind: 'band' });
  });

  it('says when the download fails', async () => {
    show(listed, 'en', async () => {
      throw new Error('503 Service Unavailable');
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The download failed: 503 Service Unavailable');
  });
});
