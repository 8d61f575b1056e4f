import { render } from '@testing-library/svelte';
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
