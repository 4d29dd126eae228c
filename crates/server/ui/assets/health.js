// Component health as the list, the component page and the graph show it.
import { h } from './dom.js';

/** Failing first: what needs a person's attention comes before what is fine. */
const RANK = { unhealthy: 0, exited: 1, unknown: 2, healthy: 3 };

export function rank(state) {
  return RANK[state] ?? 2;
}

export function isFailing(state) {
  return state === 'unhealthy' || state === 'exited';
}

/** Sorted copy: failing components first, then unknown, then healthy; by id within each. */
export function sortByHealth(list) {
  return [...list].sort((a, b) => rank(a.health?.state) - rank(b.health?.state) || a.localID.localeCompare(b.localID));
}

export function label(state) {
  const st = state || 'unknown';
  return h('span', { class: `health health-${st}`, 'data-health': st }, st);
}

/** The cause in words: the component's own message, or what its state means when it gave none. */
export function cause(c) {
  const msg = (c.health?.message || '').trim();
  if (msg) return msg;
  switch (c.health?.state) {
    case 'unhealthy':
      return 'unhealthy, without a message';
    case 'exited':
      return 'the component stopped running';
    case 'unknown':
      return 'no health reported yet';
    default:
      return '';
  }
}

/** "12 s ago" beside the time, so a stale message is seen as stale. */
export function since(time) {
  const t = Date.parse(time);
  if (Number.isNaN(t) || t <= 0) return time || '';
  const secs = Math.max(0, Math.round((Date.now() - t) / 1000));
  let ago;
  if (secs < 90) ago = `${secs} s ago`;
  else if (secs < 5400) ago = `${Math.round(secs / 60)} min ago`;
  else if (secs < 129600) ago = `${Math.round(secs / 3600)} h ago`;
  else ago = `${Math.round(secs / 86400)} d ago`;
  return `${new Date(t).toISOString()} (${ago})`;
}
