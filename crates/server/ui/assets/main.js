// Which page the location asks for, under the UI's prefix (the page's <base href>).
import { errorBox, h, replace } from './dom.js';
import { render as list } from './list.js';
import { render as component } from './component.js';
import { render as graph } from './graph.js';
import { render as debug } from './debug.js';

function decode(path) {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

async function main() {
  const app = document.getElementById('app');
  const base = new URL(document.baseURI).pathname;
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  let kind = 'unknown';
  try {
    if (path === '') {
      kind = 'list';
      await list(app);
    } else if (path.startsWith('component/') && path.length > 'component/'.length) {
      kind = 'component';
      await component(app, decode(path.slice('component/'.length)));
    } else if (path === 'graph' || path === 'graph/') {
      kind = 'graph';
      await graph(app);
    } else if (path.startsWith('debug/') && path.length > 'debug/'.length) {
      kind = 'debug';
      await debug(app, decode(path.slice('debug/'.length)));
    } else {
      replace(app, h('h1', {}, 'No such page'), h('p', {}, `Nothing is shown at ${location.pathname}. `, h('a', { href: './' }, 'All components')));
    }
  } catch (err) {
    replace(app, errorBox('The page failed:', err));
  }
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === kind);
  // Marks the first complete drawing (read by the browser tests, and by anyone timing the page).
  performance.mark('ingot-ready');
  document.documentElement.dataset.ready = kind;
}

main();
