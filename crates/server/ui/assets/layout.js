// A layered layout of a directed graph, drawn left to right in the direction data flows:
//  1. cycles are broken by turning round the edges a depth-first search finds going back (drawn as they are);
//  2. each node's layer is the length of the longest path reaching it (a source moves up to just before its
//     nearest successor);
//  3. an edge spanning several layers passes through a virtual node in each layer between, so that it is
//     ordered like a node and drawn around the others;
//  4. the order within each layer comes from sweeps down and up the layers, each placing a node at the mean
//     position (barycentre) of its neighbours in the layer before, keeping the order that crosses fewer edges;
//  5. layers become columns, nodes stacked in order and centred.

const LAYER_GAP = 80;
const NODE_GAP = 18;
const VIRTUAL_HEIGHT = 8;
const SWEEPS = 12;

/**
 * nodes: [{id, width, height}], edges: [{from, to}] (ids; unknown ids and self-loops are left out).
 * Returns {nodes: Map(id -> {x, y, width, height, layer}), edges: [{from, to, points: [[x, y], ...]}], width, height}.
 */
export function layout(nodes, edges) {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const kept = edges.filter((e) => index.has(e.from) && index.has(e.to) && e.from !== e.to);
  const n = nodes.length;

  // 1. Back edges, found by an iterative depth-first search in the input order.
  const out = Array.from({ length: n }, () => []);
  kept.forEach((e, i) => out[index.get(e.from)].push(i));
  const reversed = new Array(kept.length).fill(false);
  const mark = new Array(n).fill(0); // 0 new, 1 on the stack, 2 done
  for (let root = 0; root < n; root++) {
    if (mark[root]) continue;
    const stack = [[root, 0]];
    mark[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [v, k] = top;
      if (k < out[v].length) {
        top[1]++;
        const ei = out[v][k];
        const w = index.get(kept[ei].to);
        if (mark[w] === 1) reversed[ei] = true;
        else if (mark[w] === 0) {
          mark[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        mark[v] = 2;
        stack.pop();
      }
    }
  }
  const dag = kept.map((e, i) => {
    const [a, b] = reversed[i] ? [e.to, e.from] : [e.from, e.to];
    return { a: index.get(a), b: index.get(b) };
  });

  // 2. Longest-path layers, in a topological order (Kahn).
  const succ = Array.from({ length: n }, () => []);
  const indeg = new Array(n).fill(0);
  for (const e of dag) {
    succ[e.a].push(e.b);
    indeg[e.b]++;
  }
  const layerOf = new Array(n).fill(0);
  const queue = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  for (let qi = 0; qi < queue.length; qi++) {
    const v = queue[qi];
    for (const w of succ[v]) {
      layerOf[w] = Math.max(layerOf[w], layerOf[v] + 1);
      if (--indeg[w] === 0) queue.push(w);
    }
  }

  // A source sits just before its nearest successor rather than in the first column, so that its edge is short.
  const hasPred = new Array(n).fill(false);
  for (const e of dag) hasPred[e.b] = true;
  for (let i = 0; i < n; i++) {
    if (hasPred[i] || succ[i].length === 0) continue;
    layerOf[i] = Math.min(...succ[i].map((w) => layerOf[w])) - 1;
  }

  // 3. Virtual nodes; every edge becomes a chain of unit edges. Vertices: real nodes first, then virtual ones.
  const vLayer = [...layerOf];
  const vHeight = nodes.map((nd) => nd.height);
  const vWidth = nodes.map((nd) => nd.width);
  const chains = [];
  const up = [];
  const down = [];
  const link = (a, b) => {
    down[a].push(b);
    up[b].push(a);
  };
  for (let i = 0; i < n; i++) {
    up.push([]);
    down.push([]);
  }
  for (const e of dag) {
    const chain = [e.a];
    for (let l = vLayer[e.a] + 1; l < vLayer[e.b]; l++) {
      const v = vLayer.length;
      vLayer.push(l);
      vHeight.push(VIRTUAL_HEIGHT);
      vWidth.push(0);
      up.push([]);
      down.push([]);
      chain.push(v);
    }
    chain.push(e.b);
    for (let i = 0; i + 1 < chain.length; i++) link(chain[i], chain[i + 1]);
    chains.push(chain);
  }
  const layerCount = vLayer.reduce((m, l) => Math.max(m, l + 1), 0);
  const layers = Array.from({ length: layerCount }, () => []);
  for (let v = 0; v < vLayer.length; v++) layers[vLayer[v]].push(v);

  // 4. Barycentre sweeps, keeping the best order seen.
  const pos = new Array(vLayer.length).fill(0);
  const setPositions = () => layers.forEach((layer) => layer.forEach((v, i) => (pos[v] = i)));
  setPositions();
  // Counting is quadratic in the edges between two layers; past this many edges the sweeps run without it.
  const countable = kept.length <= 1500;
  const crossings = () => {
    if (!countable) return 1;
    let total = 0;
    for (let l = 0; l + 1 < layerCount; l++) {
      const segs = [];
      for (const v of layers[l]) for (const w of down[v]) segs.push([pos[v], pos[w]]);
      for (let i = 0; i < segs.length; i++)
        for (let j = i + 1; j < segs.length; j++) {
          const [a1, b1] = segs[i];
          const [a2, b2] = segs[j];
          if ((a1 - a2) * (b1 - b2) < 0) total++;
        }
    }
    return total;
  };
  const reorder = (layer, neighbours) => {
    const key = new Map();
    for (const v of layer) {
      const ns = neighbours[v];
      key.set(v, ns.length ? ns.reduce((s, w) => s + pos[w], 0) / ns.length : pos[v]);
    }
    layer.sort((a, b) => key.get(a) - key.get(b) || pos[a] - pos[b]);
    layer.forEach((v, i) => (pos[v] = i));
  };
  let best = layers.map((l) => [...l]);
  let bestCrossings = crossings();
  for (let sweep = 0; sweep < SWEEPS && bestCrossings > 0; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l < layerCount; l++) reorder(layers[l], up);
    else for (let l = layerCount - 2; l >= 0; l--) reorder(layers[l], down);
    const c = crossings();
    if (c < bestCrossings || !countable) {
      bestCrossings = c;
      best = layers.map((l) => [...l]);
    }
  }
  best.forEach((l, i) => (layers[i] = l));
  setPositions();

  // 5. Coordinates: a column per layer as wide as its widest node; each column centred vertically.
  const colWidth = layers.map((layer) => layer.reduce((m, v) => Math.max(m, vWidth[v]), 0));
  const colHeight = layers.map((layer) => layer.reduce((s, v) => s + vHeight[v], 0) + NODE_GAP * Math.max(0, layer.length - 1));
  const height = colHeight.reduce((m, x) => Math.max(m, x), 0);
  const x = new Array(vLayer.length).fill(0);
  const y = new Array(vLayer.length).fill(0);
  let left = 0;
  layers.forEach((layer, l) => {
    let top = (height - colHeight[l]) / 2;
    for (const v of layer) {
      x[v] = left + (colWidth[l] - vWidth[v]) / 2;
      y[v] = top;
      top += vHeight[v] + NODE_GAP;
    }
    left += colWidth[l] + LAYER_GAP;
  });
  const width = Math.max(0, left - LAYER_GAP);

  const placed = new Map(nodes.map((nd, i) => [nd.id, { x: x[i], y: y[i], width: nd.width, height: nd.height, layer: layerOf[i] }]));
  const drawn = chains.map((chain, i) => {
    const pts = chain.map((v, k) => {
      const midY = y[v] + vHeight[v] / 2;
      if (k === 0) return [x[v] + vWidth[v], midY];
      if (k === chain.length - 1) return [x[v], midY];
      return [x[v], midY];
    });
    const e = kept[i];
    return { from: e.from, to: e.to, reversed: reversed[i], points: reversed[i] ? pts.reverse() : pts };
  });
  return { nodes: placed, edges: drawn, width, height, crossings: bestCrossings };
}
