// `/`: every component with its health and message, failing ones first with their cause in words.
import { components } from './api.js';
import { errorBox, h, pageHref, replace } from './dom.js';
import { cause, isFailing, label, rank, sortByHealth } from './health.js';

const REFRESH_MS = 5000;

function summary(list) {
  const counts = { unhealthy: 0, exited: 0, unknown: 0, healthy: 0 };
  for (const c of list) counts[c.health?.state in counts ? c.health.state : 'unknown']++;
  const failing = counts.unhealthy + counts.exited;
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([st, n]) => `${n} ${st}`);
  return h(
    'p',
    { class: failing ? 'summary summary-failing' : 'summary summary-ok', id: 'summary' },
    failing
      ? `${failing} of ${list.length} components failing`
      : `All ${list.length} components running (${parts.join(', ')})`,
    failing ? ` (${parts.join(', ')})` : '',
  );
}

function failingList(list) {
  const failing = list.filter((c) => isFailing(c.health?.state));
  if (failing.length === 0) return null;
  return h(
    'section',
    { class: 'failing', id: 'failing' },
    h('h2', {}, 'Failing'),
    h(
      'ul',
      {},
      failing.map((c) =>
        h('li', { 'data-id': c.localID }, label(c.health.state), ' ', h('a', { href: pageHref('component', c.localID) }, c.localID), ': ', h('span', { class: 'cause' }, cause(c))),
      ),
    ),
  );
}

function table(list) {
  return h(
    'table',
    { class: 'components', id: 'components' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Health'), h('th', {}, 'Component'), h('th', {}, 'Message'), h('th', {}, ''))),
    h(
      'tbody',
      {},
      list.map((c) =>
        h(
          'tr',
          { 'data-id': c.localID, 'data-health': c.health?.state || 'unknown', class: rank(c.health?.state) < 2 ? 'row-failing' : '' },
          h('td', {}, label(c.health?.state)),
          h('td', {}, h('a', { href: pageHref('component', c.localID) }, c.localID)),
          h('td', { class: 'message' }, cause(c)),
          h('td', {}, h('a', { href: pageHref('component', c.localID), class: 'view' }, 'View')),
        ),
      ),
    ),
  );
}

export async function render(app) {
  const body = h('div', {});
  replace(app, h('h1', {}, 'Components'), body);
  const draw = async () => {
    try {
      const list = sortByHealth(await components());
      replace(body, summary(list), failingList(list), table(list));
    } catch (err) {
      replace(body, errorBox('Could not load the components:', err));
    }
  };
  await draw();
  setInterval(draw, REFRESH_MS);
}
