import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeAll, describe, expect, it } from 'vitest';
import CompareReport from '../../../editor/src/lib/components/CompareReport.svelte';
import { atThreshold } from '../../../engine/whatif';
import Harness from './Harness.svelte';
import { demoReport, reportWith } from './fixtures';

const report = demoReport();
const percent = (value: number | null, locale = 'en-GB') =>
  value === null ? '–' : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value);
/** The table cells of the data table row, to their first character of the interval: "42%" of "42% (38–46%)". */
const figure = (cell: string) => cell.split(' (')[0];

beforeAll(() => {
  // jsdom has no canvas: the charts are skipped, their tables are what is tested here.
  const canvas = (globalThis as unknown as { HTMLCanvasElement: { prototype: { getContext: () => null } } }).HTMLCanvasElement;
  canvas.prototype.getContext = () => null;
});

/** The cells of a chart's data table row, by the row's first cell. */
function rowOf(tableId: string, name: string): string[] {
  const table = screen.getByTestId(`table-${tableId}`);
  const row = within(table)
    .getAllByRole('row')
    .find((r) => r.firstElementChild?.textContent === name);
  if (!row) throw new Error(`no row "${name}" in ${tableId}`);
  return [...row.children].map((cell) => cell.textContent ?? '');
}

describe('CompareReport', () => {
  it('puts each version’s precision, recall and AUC in the chart’s data table', () => {
    render(Harness, { props: { component: CompareReport, props: { report } } });
    const [v1, v2] = report.versions;
    expect(rowOf('precision-recall', 'Precision').map(figure)).toEqual([
      'Precision',
      percent(v1!.classification.precision),
      percent(v2!.classification.precision),
    ]);
    expect(rowOf('precision-recall', 'Recall').map(figure)).toEqual([
      'Recall',
      percent(v1!.classification.recall),
      percent(v2!.classification.recall),
    ]);
    expect(figure(rowOf('roc', 'AUC')[1]!)).toBe(
      new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2, minimumFractionDigits: 2 }).format(v1!.roc.auc!),
    );
  });

  it('shows every rate and AUC with its 95% interval', () => {
    const exact = reportWith((r) => {
      const v1 = r.versions[0]!;
      Object.assign(v1.classification, { precision: 0.42, precisionInterval: { low: 0.38, high: 0.46 } });
      Object.assign(v1.roc, { auc: 0.712, interval: { low: 0.664, high: 0.759 } });
      Object.assign(v1.kpis.hotLeadConversion, { rate: 0.25, low: 0.181, high: 0.334 });
    });
    render(Harness, { props: { component: CompareReport, props: { report: exact } } });
    expect(rowOf('precision-recall', 'Precision')[1]).toBe('42% (38–46%)');
    expect(rowOf('roc', 'AUC')[1]).toBe('0.71 (0.66–0.76)');
    const kpiRow = within(screen.getByTestId('table-kpis'))
      .getAllByRole('row')
      .find((row) => row.textContent?.includes('Hot-lead conversion'))!;
    expect(kpiRow.querySelector('td')!.textContent).toContain('25% (18–33%)');
  });

  it('tabulates the funnel per version and stage', () => {
    render(Harness, { props: { component: CompareReport, props: { report } } });
    const [v1, v2] = report.versions;
    expect(rowOf('funnel', 'MQL')).toEqual(['MQL', String(v1!.stages.mql), String(v2!.stages.mql)]);
  });

  it('lists the leads that change band or stage, each linking to its timeline', () => {
    render(Harness, { props: { component: CompareReport, props: { report } } });
    const changes = report.diffs[0]!.changes;
    expect(changes.length).toBeGreaterThan(0);
    const table = screen.getByTestId('changes-v2');
    expect(within(table).getAllByRole('row')).toHaveLength(Math.min(changes.length, 25) + 1);
    const link = within(table).getByRole('link', { name: changes[0]!.leadId });
    expect(link.getAttribute('href')).toBe(`/leads/${changes[0]!.leadId}`);
  });

  it('updates the what-if metrics at once when the threshold moves', async () => {
    render(Harness, { props: { component: CompareReport, props: { report } } });
    const curve = report.whatIf![0]!;
    const panel = screen.getByTestId('whatif-v1');
    expect(within(panel).getByTestId('whatif-handoffs').textContent).toBe(String(atThreshold(curve, curve.threshold).handOffs));
    await fireEvent.input(within(panel).getByRole('spinbutton'), { target: { value: '25' } });
    const expected = atThreshold(curve, 25);
    expect(within(panel).getByTestId('whatif-handoffs').textContent).toBe(String(expected.handOffs));
    expect(within(panel).getByTestId('whatif-precision').textContent).toBe(percent(expected.precision));
    expect(expected.handOffs).not.toBe(atThreshold(curve, curve.threshold).handOffs);
  });

  it('names the threshold the what-if moves and shows the change against the version’s own value', async () => {
    render(Harness, { props: { component: CompareReport, props: { report } } });
    const curve = report.whatIf![0]!;
    const panel = screen.getByTestId('whatif-v1');
    expect(within(panel).getByTestId('whatif-moves').textContent).toContain('MQL hand-off threshold (lifecycle.thresholds.mql) of v1');
    expect(within(panel).getByTestId('whatif-change-handoffs').textContent).toBe('–');
    await fireEvent.input(within(panel).getByRole('spinbutton'), { target: { value: String(curve.threshold - 20) } });
    const own = atThreshold(curve, curve.threshold);
    const chosen = atThreshold(curve, curve.threshold - 20);
    expect(within(panel).getByTestId('whatif-change-handoffs').textContent).toBe(`+${chosen.handOffs - own.handOffs}`);
    expect(
      within(panel)
        .getAllByRole('columnheader')
        .map((cell) => cell.textContent),
    ).toContain(`Own threshold (${curve.threshold})`);
    expect(screen.queryByTestId('whatif-use')).toBeNull();
  });

  it('offers the chosen value as a draft of the version to those who may edit rules', async () => {
    render(Harness, { props: { component: CompareReport, props: { report, canDraft: true } } });
    const panel = screen.getByTestId('whatif-v2');
    await fireEvent.input(within(panel).getByRole('spinbutton'), { target: { value: '42' } });
    const link = within(panel).getByTestId('whatif-use');
    expect(link.textContent).toBe('Use 42 in a draft of v2');
    expect(link.getAttribute('href')).toBe('/rules/thresholds?from=v2&mql=42');
  });

  it('formats figures for Japanese readers', () => {
    render(Harness, { props: { component: CompareReport, locale: 'ja', props: { report } } });
    const v1 = report.versions[0]!;
    expect(figure(rowOf('precision-recall', '適合率')[1]!)).toBe(percent(v1.classification.precision, 'ja-JP'));
    expect(screen.getByRole('heading', { name: '引き継ぎしきい値を変えたら？' })).toBeTruthy();
  });
});
