/**
 * Geometry of the lifecycle diagram: where each stage sits and the curved,
 * numbered arrows of the transitions between them. Pure, so it can be tested
 * without a browser.
 */

export const DIAGRAM_WIDTH = 1000;
export const DIAGRAM_HEIGHT = 500;
export const NODE_WIDTH = 132;
export const NODE_HEIGHT = 44;

/** The demand waterfall across the top, the recycling stages below it, disqualified at the bottom. */
export const STAGE_POSITIONS: Readonly<Record<string, { x: number; y: number }>> = {
  inquiry: { x: 90, y: 70 },
  mql: { x: 295, y: 70 },
  sal: { x: 500, y: 70 },
  sql: { x: 705, y: 70 },
  won: { x: 910, y: 70 },
  dormant: { x: 90, y: 270 },
  nurture: { x: 295, y: 270 },
  lost: { x: 808, y: 270 },
  disqualified: { x: 500, y: 440 },
};

export interface TransitionLike {
  id: string;
  from: readonly string[];
  to: string;
}

export interface Edge {
  transitionId: string;
  /** 1-based number of the transition, shown on its arrows and in the list. */
  number: number;
  from: string;
  to: string;
  /** SVG path (quadratic curve) from the edge of one box to the edge of the other. */
  path: string;
  /** Where the number badge sits: the middle of the curve. */
  badge: { x: number; y: number };
}

interface Point {
  x: number;
  y: number;
}

/** How far from a box's centre a ray in direction (dx, dy) leaves the box. */
function exitDistance(dx: number, dy: number): number {
  const length = Math.hypot(dx, dy) || 1;
  const ux = Math.abs(dx / length);
  const uy = Math.abs(dy / length);
  const tx = ux === 0 ? Infinity : NODE_WIDTH / 2 / ux;
  const ty = uy === 0 ? Infinity : NODE_HEIGHT / 2 / uy;
  return Math.min(tx, ty) + 3;
}

function towards(from: Point, to: Point, distance: number): Point {
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return { x: from.x + ((to.x - from.x) / length) * distance, y: from.y + ((to.y - from.y) / length) * distance };
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * One arrow per (transition, source stage). Arrows between the same two
 * stages bend apart (a→b and b→a to opposite sides), so none hides another.
 */
export function layoutEdges(transitions: readonly TransitionLike[]): Edge[] {
  const edges: Edge[] = [];
  const perPair = new Map<string, number>();
  transitions.forEach((transition, index) => {
    for (const from of transition.from) {
      const a = STAGE_POSITIONS[from];
      const b = STAGE_POSITIONS[transition.to];
      if (!a || !b || from === transition.to) continue;
      const pair = `${from}->${transition.to}`;
      const k = perPair.get(pair) ?? 0;
      perPair.set(pair, k + 1);

      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const length = Math.hypot(dx, dy) || 1;
      // Perpendicular to the right of the direction of travel: the reverse arrow bends the other way.
      const bend = 22 + 26 * k;
      const control = { x: (a.x + b.x) / 2 + (-dy / length) * bend, y: (a.y + b.y) / 2 + (dx / length) * bend };
      const start = towards(a, control, exitDistance(control.x - a.x, control.y - a.y));
      const end = towards(b, control, exitDistance(control.x - b.x, control.y - b.y));
      const badge = { x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x, y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y };
      edges.push({
        transitionId: transition.id,
        number: index + 1,
        from,
        to: transition.to,
        path: `M ${round(start.x)} ${round(start.y)} Q ${round(control.x)} ${round(control.y)} ${round(end.x)} ${round(end.y)}`,
        badge: { x: round(badge.x), y: round(badge.y) },
      });
    }
  });
  return edges;
}
