// `/component/<id>`: health with its message and time, the targets of a scrape, arguments, exports and debug
// info in Alloy syntax, where data comes from and goes to, dependencies and dependants, the component's own
// metrics, and links to its documentation and live debugging.
import { component, components, getText, HttpError } from './api.js';
import { plain, sections, stringify } from './alloy.js';
import { errorBox, h, pageHref, replace } from './dom.js';
import { cause, label, since } from './health.js';

function docsUrl(name) {
  // Alloy's reference documents each component under its namespace.
  return `https://grafana.com/docs/alloy/latest/reference/components/${name.split('.')[0]}/${name}/`;
}

function bodySections(body, title) {
  const parts = sections(body, title);
  return parts.map((p, i) =>
    h(
      'section',
      { id: p.anchor, class: i === 0 ? 'body' : 'body nested' },
      i === 0 ? h('h2', {}, title) : h('h3', {}, p.path.join(' / ')),
      p.attrs.length === 0
        ? h('p', { class: 'informative' }, i === 0 && parts.length === 1 ? '(none)' : '(no attributes set in this block)')
        : h(
            'table',
            { class: 'attrs' },
            h(
              'tbody',
              {},
              p.attrs.map((a) => h('tr', {}, h('td', { class: 'name' }, a.name), h('td', {}, h('pre', {}, h('code', {}, stringify(a.value)))))),
            ),
          ),
    ),
  );
}

/** The targets of a scrape component, from its debug info (`target` entries, as an attribute or as blocks). */
function scrapeTargets(debugInfo) {
  const out = [];
  for (const item of debugInfo || []) {
    if (item.name !== 'target') continue;
    if (item.type === 'attr') {
      const v = plain(item.value);
      for (const t of Array.isArray(v) ? v : [v]) if (t && typeof t === 'object') out.push(t);
    } else if (item.type === 'block') {
      out.push(Object.fromEntries((item.body || []).filter((a) => a.type === 'attr').map((a) => [a.name, plain(a.value)])));
    }
  }
  return out;
}

function targetsTable(targets) {
  const rows = [...targets].sort((a, b) => (a.health === 'down' ? 0 : 1) - (b.health === 'down' ? 0 : 1) || String(a.url).localeCompare(String(b.url)));
  return h(
    'section',
    { id: 'targets' },
    h('h2', {}, `Targets (${targets.length})`),
    targets.length === 0
      ? h('p', { class: 'informative' }, 'No targets.')
      : h(
          'table',
          { class: 'targets' },
          h('thead', {}, h('tr', {}, ['URL', 'State', 'Last error', 'Last scrape', 'Duration', 'Labels'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            rows.map((t) =>
              h(
                'tr',
                { 'data-health': t.health || '' },
                h('td', {}, t.url ?? ''),
                h('td', {}, h('span', { class: `target-${t.health || 'unknown'}` }, t.health || 'unknown')),
                h('td', { class: 'message' }, t.last_error || ''),
                h('td', {}, t.last_scrape || ''),
                h('td', {}, t.last_scrape_duration || ''),
                h('td', { class: 'labels' }, t.labels && typeof t.labels === 'object' ? Object.entries(t.labels).map(([k, v]) => `${k}="${v}"`).join(', ') : ''),
              ),
            ),
          ),
        ),
  );
}

function componentLinks(ids, byId, title, anchor, empty) {
  return h(
    'section',
    { id: anchor },
    h('h2', {}, title),
    ids.length === 0
      ? h('p', { class: 'informative' }, empty)
      : h(
          'ul',
          { class: 'links' },
          ids.map((id) => h('li', { 'data-id': id }, label(byId.get(id)?.health?.state), ' ', h('a', { href: pageHref('component', id) }, id))),
        ),
  );
}

/** The component's series from `/metrics` (those labelled with its `component_id`). */
async function metricsSection(id) {
  const section = h('section', { id: 'metrics' }, h('h2', {}, 'Metrics'), h('p', { class: 'informative' }, 'Loading…'));
  try {
    const text = await getText('/metrics');
    const needle = `component_id="${id}"`;
    const rows = text
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && l.includes(needle))
      .map((l) => {
        const cut = l.lastIndexOf(' ');
        return [l.slice(0, cut), l.slice(cut + 1)];
      });
    replace(
      section,
      h('h2', {}, `Metrics (${rows.length} series)`),
      rows.length === 0
        ? h('p', { class: 'informative' }, `No series in /metrics carry ${needle}.`)
        : h('table', { class: 'metrics' }, h('tbody', {}, rows.map(([series, value]) => h('tr', {}, h('td', { class: 'series' }, series), h('td', { class: 'value' }, value))))),
    );
  } catch (err) {
    replace(section, h('h2', {}, 'Metrics'), errorBox('Could not read /metrics:', err));
  }
  return section;
}

export async function render(app, id) {
  let detail, list;
  try {
    [detail, list] = await Promise.all([component(id), components()]);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) {
      replace(app, h('h1', {}, id), errorBox('No such component:', `there is no component "${id}" in the running configuration.`), h('p', {}, h('a', { href: './' }, 'All components')));
    } else {
      replace(app, h('h1', {}, id), errorBox('Could not load the component:', err));
    }
    return;
  }
  document.title = `${id} · ingot`;
  const byId = new Map(list.map((c) => [c.localID, c]));
  const receivesFrom = list.filter((c) => (c.dataFlowEdgesTo || []).includes(id)).map((c) => c.localID);
  const sendsTo = [...new Set(detail.dataFlowEdgesTo || [])];
  const state = detail.health?.state || 'unknown';
  const health = h(
    'section',
    { id: 'health', class: `health-box health-box-${state}` },
    h('h2', {}, 'Health ', label(state)),
    h('p', { class: 'message', id: 'health-message' }, cause(detail)),
    detail.health?.updatedTime ? h('p', { class: 'informative' }, 'Since ', since(detail.health.updatedTime)) : null,
  );
  const debugLink = detail.liveDebuggingEnabled
    ? h('a', { href: pageHref('debug', id), class: 'button', id: 'live-debugging' }, 'Live debugging')
    : h('span', { class: 'informative' }, 'Live debugging is not available for this component');
  const metrics = h('div', {});
  replace(
    app,
    h('h1', { id: 'title' }, id, ' ', label(state)),
    h(
      'p',
      { class: 'actions' },
      h('a', { href: docsUrl(detail.name), class: 'button', rel: 'noreferrer', target: '_blank' }, `Documentation of ${detail.name}`),
      h('a', { href: 'graph', class: 'button' }, 'Graph'),
      // An exporter's own endpoint, what its scrapes read (a link only: the page does not fetch it).
      detail.name.startsWith('prometheus.exporter.') ? h('a', { href: `/api/v0/component/${encodeURI(id)}/metrics`, class: 'button' }, 'Exported metrics') : null,
      debugLink,
    ),
    health,
    detail.name === 'prometheus.scrape' ? targetsTable(scrapeTargets(detail.debugInfo)) : null,
    h('div', { id: 'arguments' }, bodySections(detail.arguments, 'Arguments')),
    h('div', { id: 'exports' }, bodySections(detail.exports, 'Exports')),
    detail.debugInfo && detail.debugInfo.length ? h('div', { id: 'debug-info' }, bodySections(detail.debugInfo, 'Debug info')) : null,
    componentLinks(receivesFrom, byId, 'Receives data from', 'receives-from', 'No component sends data here.'),
    componentLinks(sendsTo, byId, 'Sends data to', 'sends-to', 'This component sends data to no other component.'),
    componentLinks(detail.referencesTo || [], byId, 'Dependencies', 'dependencies', 'This component references no other component.'),
    componentLinks(detail.referencedBy || [], byId, 'Dependants', 'dependants', 'No component references this one.'),
    metrics,
  );
  // The page is usable before the metrics arrive.
  metricsSection(id).then((section) => replace(metrics, section));
}
