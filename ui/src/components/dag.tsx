/**
 * A pipeline run drawn as its DAG: each step a box coloured by its state, each `needs` an arrow,
 * laid out by dagre (top to bottom, no crossing edges where it can). A step with a job links to
 * it. Steps of a hand-written machine have no `needs`: they are drawn in the order they started.
 */
import { Graph, layout } from "@dagrejs/dagre";
import { useMemo } from "preact/hooks";
import { href } from "../route.ts";
import type { RunStep } from "../types.ts";

const nodeWidth = 150;
const nodeHeight = 44;

interface Laid {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyArray<{ step: RunStep; x: number; y: number }>;
  readonly edges: ReadonlyArray<{
    from: string;
    to: string;
    points: ReadonlyArray<{ x: number; y: number }>;
  }>;
}

const edgesOf = (steps: ReadonlyArray<RunStep>): Array<[string, string]> => {
  const names = new Set(steps.map((s) => s.name));
  if (steps.some((s) => (s.needs?.length ?? 0) > 0)) {
    return steps.flatMap((s) =>
      (s.needs ?? []).filter((n) => names.has(n)).map((n): [string, string] => [n, s.name]),
    );
  }
  return steps.slice(1).map((s, i): [string, string] => [steps[i]!.name, s.name]);
};

const lay = (steps: ReadonlyArray<RunStep>): Laid => {
  const g = new Graph();
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 44, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of steps) g.setNode(s.name, { width: nodeWidth, height: nodeHeight });
  const edges = edgesOf(steps);
  for (const [from, to] of edges) g.setEdge(from, to);
  layout(g);
  const graph = g.graph();
  return {
    width: graph.width ?? nodeWidth,
    height: graph.height ?? nodeHeight,
    nodes: steps.map((step) => {
      const n = g.node(step.name);
      return { step, x: n.x, y: n.y };
    }),
    edges: edges.map(([from, to]) => ({ from, to, points: g.edge(from, to).points ?? [] })),
  };
};

export const Dag = ({ steps }: { steps: ReadonlyArray<RunStep> }) => {
  const key = steps.map((s) => `${s.name}:${(s.needs ?? []).join(",")}`).join(";");
  const laid = useMemo(() => lay(steps), [key]);
  const byName = new Map(steps.map((s) => [s.name, s]));
  if (steps.length === 0) return <p class="muted">no steps yet</p>;
  return (
    <svg
      class="dag"
      role="group"
      aria-label="the run's steps"
      viewBox={`0 0 ${laid.width} ${laid.height}`}
      width={laid.width}
      height={laid.height}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
        </marker>
      </defs>
      {laid.edges.map((e) => (
        <polyline
          key={`${e.from}->${e.to}`}
          class="dag-edge"
          points={e.points.map((p) => `${p.x},${p.y}`).join(" ")}
          marker-end="url(#arrow)"
        />
      ))}
      {laid.nodes.map(({ step, x, y }) => {
        const s = byName.get(step.name) ?? step;
        const box = (
          <g class={`dag-node state-${s.state}`} data-step={s.name} data-state={s.state}>
            <rect
              x={x - nodeWidth / 2}
              y={y - nodeHeight / 2}
              width={nodeWidth}
              height={nodeHeight}
              rx="6"
            />
            <text x={x} y={y - 3} text-anchor="middle" class="dag-name">
              {s.name}
            </text>
            <text x={x} y={y + 13} text-anchor="middle" class="dag-state">
              {s.state}
            </text>
          </g>
        );
        return s.jobId !== undefined ? (
          <a
            key={s.name}
            href={href(`/jobs/${s.jobId}`)}
            aria-label={`step ${s.name}: ${s.state}, open its job`}
          >
            {box}
          </a>
        ) : (
          <g key={s.name} role="img" aria-label={`step ${s.name}: ${s.state}`}>
            {box}
          </g>
        );
      })}
    </svg>
  );
};
