import { render, screen } from '@testing-library/svelte';
import { Chart } from 'chart.js';
import { tick } from 'svelte';
import { beforeAll, describe, expect, it } from 'vitest';
import ChartPanel from '../../../editor/src/lib/components/ChartPanel.svelte';
import { drawChartsInJsdom, fractions, valueTicks } from './chart-canvas';
import Harness from './Harness.svelte';

beforeAll(drawChartsInJsdom);

/** Draws a bar chart of `data`, one bar a stage, and lets its effect create the chart. */
async function show(id: string, data: number[], extra: Record<string, unknown> = {}): Promise<void> {
  const labels = data.map((_, i) => `Stage ${i + 1}`);
  const table = { columns: ['Stage', 'Value'], rows: labels.map((label, i) => [label, String(data[i])]) };
  render(Harness, {
    props: { component: ChartPanel, props: { id, title: id, type: 'bar', labels, datasets: [{ label: 'v1', data }], table, ...extra } },
  });
  await tick();
}

describe('the value axis of a chart', () => {
  it('steps by whole numbers when the values are counts, however few', async () => {
    await show('few-leads', [2, 1, 0, 0, 1], { counts: true });
    expect(valueTicks('few-leads').length).toBeGreaterThan(1);
    expect(fractions(valueTicks('few-leads'))).toEqual([]);
  });

  it('keeps fractions for measures that have them, such as days in a stage', async () => {
    await show('days', [1.5, 0.4, 0, 0.9, 1.2]);
    expect(fractions(valueTicks('days'))).not.toEqual([]);
  });
});

/** The chart `chart-{id}` as Chart.js drew it. */
function chartOf(id: string): Chart {
  const canvas = screen.getByTestId(`chart-${id}`).querySelector('canvas');
  const chart = canvas && Chart.getChart(canvas);
  if (!chart) throw new Error(`no chart drawn for ${id}`);
  return chart;
}

describe('figures with their uncertainty', () => {
  it('fades the bars drawn from too few leads and says what that means under the chart', async () => {
    await show('bands', [0.4, 0.2, 0.1], {
      percent: true,
      datasets: [{ label: 'v1', data: [0.4, 0.2, 0.1], small: [false, true, false] }],
      fewLegend: 'Hatched: fewer than 30 leads.',
    });
    const fills = chartOf('bands').data.datasets[0]!.backgroundColor as string[];
    expect(fills[1]).not.toBe(fills[0]);
    expect(fills[2]).toBe(fills[0]);
    expect(screen.getByTestId('few-legend-bands').textContent).toBe('Hatched: fewer than 30 leads.');
  });

  it('leaves room on the value axis for the top of every interval', async () => {
    await show('precision', [0.2, 0.3], {
      percent: true,
      datasets: [
        {
          label: 'v1',
          data: [0.2, 0.3],
          intervals: [
            { low: 0.1, high: 0.35 },
            { low: 0.12, high: 0.9 },
          ],
        },
      ],
    });
    expect(Math.max(...valueTicks('precision'))).toBeGreaterThanOrEqual(0.9);
    expect(screen.queryByTestId('few-legend-precision')).toBeNull();
  });
});
