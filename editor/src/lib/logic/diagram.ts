/**
 * Geometry of the lifecycle diagram, laid out by dagre (a layered graph
 * layout): stages as boxes ranked top to bottom along the waterfall, one arrow
 * per transition and source stage, routed around the boxes and the labels.
 * Each transition's first arrow carries its label (first-match number, trigger,
 * guard in a few words); its other arrows carry the number alone, which keeps
 * the drawing narrow enough to read without zooming. Pure, so it can be tested
 * without a browser.
 */
import dagre from '@dagrejs/dagre';

export const NODE_WIDTH = 100;
export const NODE_HEIGHT = 36;
/** Edge labels are drawn at 11 px; an average Latin character is about this wide, a Japanese one twice as wide. */
const CHAR_WIDTH = 6.2;
const WIDE_CHAR = 1.9;
export const LINE_HEIGHT = 13;
const LABEL_PADDING = 8;
/** Label lines are kept this wide (in Latin characters), so that labels stack rather than spread the drawing. */
export const LINE_UNITS = 17;
/** At most this many lines of guard text under a label's first line. */
const GUARD_LINES = 2;
const MARGIN = 16;

/**
 * The waterfall's direction: the demand stages top to bottom, then the stages leads are recycled to, then
 * disqualified. An edge against it (a recycle, a reactivation) is handed to dagre reversed, so that dagre
 * ranks the stages along the waterfall instead of breaking cycles where it likes; its route is turned round
 * again afterwards. Stages not listed come last.
 */
export const FLOW_ORDER: readonly string[] = ['inquiry', 'mql', 'sal', 'sql', 'won', 'lost', 'nurture', 'dormant', 'disqualified'];

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
  /** The label's lines: number, trigger and guard on a transition's first arrow, the number alone on the others. */
  lines: string[];
}

/** What a transition's label says: its number and trigger, and its guard in words when it has one. */
export interface EdgeText {
  head: string;
  guard?: string | undefined;
}

export interface LifecycleLayout {
  width: number;
  height: number;
  stages: StageBox[];
  edges: Edge[];
}

const units = (char: string) => (char.charCodeAt(0) > 0x2e80 ? WIDE_CHAR : 1);

/** Cuts a text to `max` width units (a Japanese character counts about two), ending with an ellipsis when cut. */
export function shorten(text: string, max: number): string {
  let used = 0;
  let kept = '';
  for (const char of text) {
    if (used + units(char) > max - 1) {
      // The ellipsis takes the last unit; a text that fits whole needs none.
      return [...text].reduce((sum, c) => sum + units(c), 0) <= max ? text : `${kept.trimEnd()}…`;
    }
    used += units(char);
    kept += char;
  }
  return text;
}

/**
 * A text in at most `lines` lines of `max` width units, broken at spaces where it can be (anywhere in
 * Japanese, which has none); what does not fit ends in an ellipsis.
 */
export function wrap(text: string, max: number, lines: number): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest && out.length < lines - 1) {
    const line = shorten(rest, max);
    if (line === rest) break;
    const cut = line.slice(0, -1);
    const space = cut.lastIndexOf(' ');
    // Break at a space when the text has one, at the width otherwise (Japanese has no spaces).
    const head = (space > 0 ? cut.slice(0, space) : cut).trimEnd();
    out.push(head);
    rest = rest.slice(head.length).trim();
  }
  if (rest) out.push(shorten(rest, max));
  return out;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Estimated width of a label's widest line. */
export function labelWidth(lines: readonly string[]): number {
  const widest = Math.max(0, ...lines.map((line) => [...line].reduce((sum, char) => sum + units(char), 0)));
  return Math.ceil(widest * CHAR_WIDTH + LABEL_PADDING);
}

const labelHeight = (lines: readonly string[]) => lines.length * LINE_HEIGHT + 5;

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
 * `text(transition, index)` is what the transition's label says; stages no transition touches are still drawn.
 */
export function layoutLifecycle<T extends TransitionLike>(
  stages: readonly string[],
  transitions: readonly T[],
  text: (transition: T, index: number) => EdgeText,
): LifecycleLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  // Longest-path ranking keeps the drawing narrower than network simplex for this many parallel edges.
  graph.setGraph({ rankdir: 'TB', ranker: 'longest-path', nodesep: 10, edgesep: 6, ranksep: 26, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const stage of stages) graph.setNode(stage, { width: NODE_WIDTH, height: NODE_HEIGHT });

  const flow = (stage: string) => {
    const at = FLOW_ORDER.indexOf(stage);
    return at < 0 ? FLOW_ORDER.length : at;
  };
  const keyed: Array<{ key: string; transition: T; index: number; from: string; lines: string[]; reversed: boolean }> = [];
  transitions.forEach((transition, index) => {
    const { head, guard } = text(transition, index);
    const full = [shorten(head, LINE_UNITS), ...(guard ? wrap(guard, LINE_UNITS, GUARD_LINES) : [])];
    let first = true;
    for (const from of new Set(transition.from)) {
      if (!graph.hasNode(from) || !graph.hasNode(transition.to)) continue;
      const key = `${transition.id}:${from}`;
      const reversed = flow(transition.to) < flow(from);
      const [tail, tip] = reversed ? [transition.to, from] : [from, transition.to];
      const lines = first ? full : [String(index + 1)];
      first = false;
      graph.setEdge(tail, tip, { width: labelWidth(lines), height: labelHeight(lines), labelpos: 'c' }, key);
      keyed.push({ key, transition, index, from, lines, reversed });
    }
  });

  dagre.layout(graph);

  const size = graph.graph();
  const edges = keyed.map(({ key, transition, index, from, lines, reversed }): Edge => {
    const laid = reversed ? graph.edge(transition.to, from, key) : graph.edge(from, transition.to, key);
    const points = laid.points ?? [];
    return {
      transitionId: transition.id,
      number: index + 1,
      from,
      to: transition.to,
      path: smoothPath(reversed ? [...points].reverse() : points),
      label: { x: round(laid.x ?? 0), y: round(laid.y ?? 0), width: laid.width ?? 0, height: laid.height ?? 0 },
      lines,
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
