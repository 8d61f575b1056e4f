/**
 * Lets the real Chart.js build its charts in jsdom, which has no canvas and no
 * layout: a 2D context that draws nothing and measures text roughly, one fixed
 * box for every element, and a resize observer that never fires.
 */
import { screen } from '@testing-library/svelte';
import { Chart } from 'chart.js';

/** The size every element reports; Chart.js sizes a chart from its canvas's box. */
const BOX = { width: 480, height: 260 };
const CHARACTER_WIDTH = 6;

/** The parts of the DOM touched here, typed by hand: the tests' TypeScript settings have no DOM library. */
interface Dom {
  HTMLCanvasElement: { prototype: { getContext: (this: object, kind: string) => unknown } };
  HTMLElement: { prototype: { getBoundingClientRect: () => unknown } };
  DOMRect: { fromRect: (rect: typeof BOX) => unknown };
  ResizeObserver?: unknown;
}

export function drawChartsInJsdom(): void {
  const dom = globalThis as unknown as Dom;
  const measureText = (text: string) => ({ width: text.length * CHARACTER_WIDTH, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 });
  dom.HTMLCanvasElement.prototype.getContext = function (this: object) {
    // `length` is looked up to tell a context from a list of canvases, so it must be absent.
    const state: Record<string | symbol, unknown> = { canvas: this, measureText, length: undefined };
    return new Proxy(state, {
      get: (target, name) => (name in target ? target[name] : () => {}),
      set: (target, name, value) => ((target[name] = value), true),
    });
  };
  dom.HTMLElement.prototype.getBoundingClientRect = () => dom.DOMRect.fromRect(BOX);
  dom.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}

/** The values on the value axis of the chart `chart-{id}`, as Chart.js placed them. */
export function valueTicks(id: string): number[] {
  const canvas = screen.getByTestId(`chart-${id}`).querySelector('canvas');
  const chart = canvas && Chart.getChart(canvas);
  if (!chart) throw new Error(`no chart drawn for ${id}`);
  return chart.scales['y']!.ticks.map((tick: { value: number }) => tick.value);
}

/** The values of `ticks` that are not whole numbers. */
export const fractions = (ticks: number[]) => ticks.filter((value) => !Number.isInteger(value));
