// Building the page from data: text always goes in as text nodes, never parsed as HTML, so a value from the
// configuration (a label, a message, a log line) can never become markup or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) {
      append(el, c);
    } else if (c instanceof Node) {
      el.appendChild(c);
    } else {
      el.appendChild(document.createTextNode(String(c)));
    }
  }
}

/** An HTML element: h('a', {href: 'x'}, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same arguments. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A box saying what went wrong, in words. */
export function errorBox(title, err) {
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, title), ' ', err && err.message ? err.message : String(err || ''));
}

/** The href of a page of the UI, relative to the <base> (the UI's prefix). */
export function pageHref(kind, id) {
  return id === undefined ? kind : `${kind}/${encodeURI(id)}`;
}
