// Checks the graph page's layout (crates/server/ui/assets/layout.js) on fixed and random graphs, with Node.js
// alone: prints one JSON object, which crates/ingot/tests/web_ui.rs reads and asserts on.
import { layout } from '../../../server/ui/assets/layout.js';

const problems = [];
const node = (id) => ({ id, width: 60 + (id.length % 5) * 10, height: 40 });

function check(name, nodes, edges) {
  const g = layout(nodes, edges);
  if (g.nodes.size !== new Set(nodes.map((n) => n.id)).size) problems.push(`${name}: ${g.nodes.size} nodes placed`);
  // Edges of the acyclic part go left to right; every edge starts at its source and ends at its target.
  for (const e of g.edges) {
    const a = g.nodes.get(e.from);
    const b = g.nodes.get(e.to);
    if (!e.reversed && !(a.layer < b.layer)) problems.push(`${name}: ${e.from} -> ${e.to} does not go forward`);
    const [sx, sy] = e.points[0];
    const [tx, ty] = e.points[e.points.length - 1];
    const touches = (p, x, y) => Math.abs(x - p.x) < 0.01 || Math.abs(x - (p.x + p.width)) < 0.01 ? y >= p.y && y <= p.y + p.height : false;
    if (!touches(a, sx, sy) || !touches(b, tx, ty)) problems.push(`${name}: ${e.from} -> ${e.to} is not drawn between its nodes`);
  }
  // No two nodes overlap.
  const placed = [...g.nodes.entries()];
  for (let i = 0; i < placed.length; i++)
    for (let j = i + 1; j < placed.length; j++) {
      const [, p] = placed[i];
      const [, q] = placed[j];
      if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height)
        problems.push(`${name}: ${placed[i][0]} overlaps ${placed[j][0]}`);
    }
  return g;
}

// The test's pipeline: no crossings, the exporter before the scrape, the relabel after both scrapes.
const pipeline = check(
  'pipeline',
  ['exporter', 'healthy', 'failing', 'keep', 'write'].map(node),
  [
    { from: 'exporter', to: 'healthy' },
    { from: 'healthy', to: 'keep' },
    { from: 'failing', to: 'keep' },
    { from: 'keep', to: 'write' },
  ],
);
const layers = Object.fromEntries([...pipeline.nodes].map(([id, p]) => [id, p.layer]));

// Two chains given in an order that crosses: the sweeps uncross them.
const crossed = check('crossed', ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'].map(node), [
  { from: 'a1', to: 'b2' },
  { from: 'a2', to: 'b1' },
  { from: 'b1', to: 'c2' },
  { from: 'b2', to: 'c1' },
]);

// A cycle and a self-loop are drawn, not looped over; unknown ids are left out.
check('cycle', ['x', 'y', 'z'].map(node), [
  { from: 'x', to: 'y' },
  { from: 'y', to: 'z' },
  { from: 'z', to: 'x' },
  { from: 'x', to: 'x' },
  { from: 'x', to: 'missing' },
]);

// Random graphs, seeded.
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
let randomCrossings = 0;
for (let round = 0; round < 30; round++) {
  const count = 2 + Math.floor(random() * 40);
  const ids = Array.from({ length: count }, (_, i) => `n${i}`);
  const edges = [];
  for (let k = 0; k < count * 1.5; k++) {
    const a = Math.floor(random() * count);
    const b = Math.floor(random() * count);
    edges.push({ from: ids[a], to: ids[b] });
  }
  randomCrossings += check(`random ${round}`, ids.map(node), edges).crossings;
}

// A large one finishes quickly.
const started = performance.now();
const big = Array.from({ length: 1000 }, (_, i) => node(`big${i}`));
check('large', big, big.slice(1).map((n, i) => ({ from: big[Math.floor(i / 3)].id, to: n.id })));
const largeMs = performance.now() - started;

console.log(JSON.stringify({ problems, layers, crossedCrossings: crossed.crossings, randomCrossings, largeMs }));
