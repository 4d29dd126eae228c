// `/graph`: the pipeline as components (coloured by health) and the edges data flows along (`dataFlowEdgesTo`
// of `/api/v0/web/components`), with the rate on each edge over a chosen window from `/api/v0/web/graph`.
import { components, stream } from './api.js';
import { errorBox, h, pageHref, replace, s } from './dom.js';
import { cause, label } from './health.js';
import { layout } from './layout.js';

const CHAR_WIDTH = 7.3; // the node labels' monospace font at 12px
const NODE_HEIGHT = 40;
const PAD = 16;
const WINDOWS = [1, 5, 10, 30, 60];
const REFRESH_MS = 5000;

function nodeLabel(c) {
  // The type on one line, the label (or the whole id) on the next.
  return c.label !== undefined ? [c.name, c.label] : [c.name, ''];
}

function graphOf(list) {
  const nodes = list.map((c) => {
    const [top, bottom] = nodeLabel(c);
    return { id: c.localID, width: Math.ceil(Math.max(top.length, bottom.length) * CHAR_WIDTH) + 24, height: NODE_HEIGHT };
  });
  const seen = new Set();
  const edges = [];
  for (const c of list)
    for (const to of c.dataFlowEdgesTo || []) {
      const key = `${c.localID}\u0000${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ from: c.localID, to });
    }
  return { nodes, edges };
}

function curve(points) {
  let d = `M${points[0][0]},${points[0][1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const dx = (x1 - x0) / 2;
    d += ` C${x0 + dx},${y0} ${x1 - dx},${y1} ${x1},${y1}`;
  }
  return d;
}

function formatRate(r) {
  if (r >= 100) return `${Math.round(r)}/s`;
  if (r >= 1) return `${r.toFixed(1)}/s`;
  return `${r.toFixed(2)}/s`;
}

/** The rate of each signal on an edge: the items of the source whose targets are empty or name the edge's end. */
export function edgeRates(edge, data) {
  const rates = new Map();
  for (const item of data) {
    if (!(item.rate > 0) || item.componentID !== edge.from) continue;
    const targets = item.targetComponentIDs || [];
    if (targets.length > 0 && !targets.includes(edge.to)) continue;
    rates.set(item.type, (rates.get(item.type) || 0) + item.rate);
  }
  return rates;
}

function draw(svgHolder, list) {
  const { nodes, edges } = graphOf(list);
  const g = layout(nodes, edges);
  const width = g.width + 2 * PAD;
  const height = g.height + 2 * PAD;
  const edgeEls = new Map();
  const svg = s(
    'svg',
    { id: 'graph', viewBox: `${-PAD} ${-PAD} ${width} ${height}`, width, height, role: 'img', 'aria-label': 'pipeline graph' },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }))),
    g.edges.map((e) => {
      const mid = e.points[Math.floor(e.points.length / 2)];
      const prev = e.points[Math.floor(e.points.length / 2) - 1] || mid;
      const text = s('text', { class: 'rate', x: (mid[0] + prev[0]) / 2, y: (mid[1] + prev[1]) / 2 - 6, 'text-anchor': 'middle' });
      const path = s('path', { class: 'edge', d: curve(e.points), 'marker-end': 'url(#arrow)' });
      const el = s('g', { class: 'edge-group', 'data-from': e.from, 'data-to': e.to }, s('title', {}, `${e.from} → ${e.to}`), path, text);
      edgeEls.set(`${e.from}\u0000${e.to}`, { el, text, from: e.from, to: e.to });
      return el;
    }),
    list.map((c) => {
      const p = g.nodes.get(c.localID);
      const [top, bottom] = nodeLabel(c);
      const state = c.health?.state || 'unknown';
      return s(
        'a',
        { href: pageHref('component', c.localID), class: `node node-${state}`, 'data-id': c.localID, 'data-health': state },
        s('title', {}, `${c.localID}: ${state}${cause(c) ? ' — ' + cause(c) : ''}`),
        s('rect', { x: p.x, y: p.y, width: p.width, height: p.height, rx: 6 }),
        s('text', { x: p.x + p.width / 2, y: p.y + (bottom ? 16 : 24), 'text-anchor': 'middle', class: 'node-type' }, top),
        bottom ? s('text', { x: p.x + p.width / 2, y: p.y + 31, 'text-anchor': 'middle', class: 'node-label' }, bottom) : null,
      );
    }),
  );
  replace(svgHolder, svg);
  return edgeEls;
}

function shape(list) {
  return JSON.stringify(list.map((c) => [c.localID, c.dataFlowEdgesTo || []]));
}

export async function render(app) {
  const status = h('span', { id: 'rates-status', 'data-state': 'connecting' }, 'Connecting to the live rates…');
  const windowSelect = h('select', { id: 'window' }, WINDOWS.map((w) => h('option', { value: w, selected: w === 5 }, `${w} s`)));
  const holder = h('div', { class: 'graph-holder' });
  const problems = h('div', { id: 'graph-problems' });
  replace(
    app,
    h('h1', {}, 'Pipeline'),
    h(
      'p',
      { class: 'controls' },
      h('label', {}, 'Rates over ', windowSelect),
      ' ',
      status,
      ' ',
      h('span', { class: 'legend' }, ['healthy', 'unhealthy', 'exited', 'unknown'].map((st) => [label(st), ' '])),
    ),
    problems,
    holder,
  );

  let list;
  try {
    list = await components();
  } catch (err) {
    replace(holder, errorBox('Could not load the components:', err));
    return;
  }
  let edgeEls = draw(holder, list);
  let lastShape = shape(list);
  let lastData = [];

  const showRates = (data) => {
    lastData = data;
    for (const e of edgeEls.values()) {
      const rates = edgeRates(e, data);
      const total = [...rates.values()].reduce((a, b) => a + b, 0);
      e.el.classList.toggle('flowing', total > 0);
      e.text.textContent = total > 0 ? [...rates.entries()].map(([type, r]) => (rates.size > 1 ? `${type} ` : '') + formatRate(r)).join(', ') : '';
      e.el.setAttribute('data-rate', String(total));
    }
  };

  // Health and shape move while the page is open: colours are updated in place, the layout redone only when
  // the components or their edges changed (a reload).
  setInterval(async () => {
    try {
      const fresh = await components();
      if (shape(fresh) !== lastShape) {
        lastShape = shape(fresh);
        edgeEls = draw(holder, fresh);
        showRates(lastData);
      } else {
        const byId = new Map(fresh.map((c) => [c.localID, c]));
        for (const node of holder.querySelectorAll('a.node')) {
          const c = byId.get(node.getAttribute('data-id'));
          const state = c?.health?.state || 'unknown';
          node.setAttribute('class', `node node-${state}`);
          node.setAttribute('data-health', state);
          node.querySelector('title').textContent = `${c.localID}: ${state}${cause(c) ? ' — ' + cause(c) : ''}`;
        }
      }
      replace(problems);
    } catch (err) {
      replace(problems, errorBox('Could not refresh the components:', err));
    }
  }, REFRESH_MS);

  let controller = null;
  const connect = () => {
    if (controller) controller.abort();
    controller = new AbortController();
    const win = Number(windowSelect.value);
    status.dataset.state = 'connecting';
    status.textContent = `Waiting for the first ${win} s window…`;
    stream(
      `./api/v0/web/graph?window=${win}`,
      controller.signal,
      () => {},
      (messages) => {
        let data = null;
        for (const m of messages) {
          try {
            data = JSON.parse(m);
          } catch (err) {
            console.error('unreadable graph message', m, err);
          }
        }
        if (!Array.isArray(data)) return;
        showRates(data);
        status.dataset.state = 'live';
        status.textContent = `Live: rates over the last ${win} s, updated ${new Date().toLocaleTimeString()}`;
      },
    ).then(
      () => {
        status.dataset.state = 'ended';
        status.textContent = 'The live rates stream ended; reload the page to reconnect.';
      },
      (err) => {
        if (err.name === 'AbortError') return;
        status.dataset.state = 'error';
        replace(status, errorBox('Live rates unavailable:', err));
      },
    );
  };
  windowSelect.addEventListener('change', connect);
  connect();
}
