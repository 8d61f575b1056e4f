/**
 * Geometry of the lifecycle diagram, laid out by dagre (a layered graph
 * layout): stages as boxes ranked left to right along the waterfall, one
 * labelled arrow per transition and source stage, routed around the boxes and
 * the other labels. Pure, so it can be tested without a browser.
 */
import dagre from '@dagrejs/dagre';

export const NODE_WIDTH = 112;
export const NODE_HEIGHT = 40;
/** Edge labels are drawn at 11 px; an average character is about this wide. */
const LABEL_CHAR_WIDTH = 6.4;
export const LABEL_HEIGHT = 18;
const LABEL_PADDING = 10;
const MARGIN = 16;

/**
 * The waterfall's direction. An edge against it (a recycle, a customer going dormant) is handed to dagre
 * reversed, so that dagre ranks the stages along the waterfall instead of breaking cycles where it likes;
 * its route is turned round again afterwards. Stages not listed come last.
 */
export const FLOW_ORDER: readonly string[] = ['inquiry', 'dormant', 'nurture', 'mql', 'sal', 'sql', 'won', 'lost', 'disqualified'];

export interface TransitionLike {
  id: string;
  from: readonly string[];
  to: string;
}

export interface StageBox {
  stage: string;
  /** Centre of the box. */
  x: number;
  y: number;
}

export interface Edge {
  transitionId: string;
  /** 1-based first-match order of the transition, shown at the start of its label and in the list. */
  number: number;
  from: string;
  to: string;
  /** SVG path through the points dagre routed, smoothed into curves. */
  path: string;
  /** The label's box: centre, width and height. */
  label: { x: number; y: number; width: number; height: number };
  text: string;
}

export interface LifecycleLayout {
  width: number;
  height: number;
  stages: StageBox[];
  edges: Edge[];
}

/** Cuts a text to `max` characters, ending with an ellipsis when cut. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, Math.max(1, max - 1))
        .join('')
        .trimEnd()}…`;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Estimated width of a label: Japanese characters are about twice as wide as Latin ones. */
export function labelWidth(text: string): number {
  let units = 0;
  for (const char of text) units += char.charCodeAt(0) > 0x2e80 ? 1.8 : 1;
  return Math.ceil(units * LABEL_CHAR_WIDTH + LABEL_PADDING);
}

/** A smooth path through dagre's points: straight at the ends, quadratic curves through the middle points. */
export function smoothPath(points: ReadonlyArray<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  let d = `M ${round(first!.x)} ${round(first!.y)}`;
  if (rest.length === 0) return d;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!;
    const next = rest[i + 1]!;
    d += ` Q ${round(p.x)} ${round(p.y)} ${round((p.x + next.x) / 2)} ${round((p.y + next.y) / 2)}`;
  }
  const last = rest[rest.length - 1]!;
  return `${d} L ${round(last.x)} ${round(last.y)}`;
}

/**
 * Lays out every stage and one edge per (transition, source stage), in first-match order.
 * `text(transition, index)` is the edge's label; stages no transition touches are still drawn.
 */
export function layoutLifecycle<T extends TransitionLike>(
  stages: readonly string[],
  transitions: readonly T[],
  text: (transition: T, index: number) => string,
): LifecycleLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 28, edgesep: 14, ranksep: 70, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const stage of stages) graph.setNode(stage, { width: NODE_WIDTH, height: NODE_HEIGHT });

  const flow = (stage: string) => {
    const at = FLOW_ORDER.indexOf(stage);
    return at < 0 ? FLOW_ORDER.length : at;
  };
  const keyed: Array<{ key: string; transition: T; index: number; from: string; text: string; reversed: boolean }> = [];
  transitions.forEach((transition, index) => {
    const label = text(transition, index);
    for (const from of new Set(transition.from)) {
      if (!graph.hasNode(from) || !graph.hasNode(transition.to)) continue;
      const key = `${transition.id}:${from}`;
      const reversed = flow(transition.to) < flow(from);
      const [tail, head] = reversed ? [transition.to, from] : [from, transition.to];
      graph.setEdge(tail, head, { width: labelWidth(label), height: LABEL_HEIGHT, labelpos: 'c' }, key);
      keyed.push({ key, transition, index, from, text: label, reversed });
    }
  });

  dagre.layout(graph);

  const size = graph.graph();
  const edges = keyed.map(({ key, transition, index, from, text: label, reversed }): Edge => {
    const laid = reversed ? graph.edge(transition.to, from, key) : graph.edge(from, transition.to, key);
    const points = laid.points ?? [];
    return {
      transitionId: transition.id,
      number: index + 1,
      from,
      to: transition.to,
      path: smoothPath(reversed ? [...points].reverse() : points),
      label: { x: round(laid.x ?? 0), y: round(laid.y ?? 0), width: laid.width ?? 0, height: LABEL_HEIGHT },
      text: label,
    };
  });
  return {
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    stages: stages.map((stage) => {
      const node = graph.node(stage);
      return { stage, x: round(node.x ?? 0), y: round(node.y ?? 0) };
    }),
    edges,
  };
}
