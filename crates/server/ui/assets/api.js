// The web API, relative to the UI's prefix (`<prefix>/api/v0/web/...`, Alloy's paths and shapes).

export class HttpError extends Error {
  constructor(url, status, text) {
    super(`${url} answered ${status}${text ? ': ' + text : ''}`);
    this.status = status;
  }
}

const OPTIONS = { cache: 'no-cache', credentials: 'same-origin' };

async function checked(url, signal) {
  const r = await fetch(url, { ...OPTIONS, signal });
  if (!r.ok) {
    const text = (await r.text().catch(() => '')).trim();
    throw new HttpError(url, r.status, text.slice(0, 500));
  }
  return r;
}

export async function getJSON(url, signal) {
  return (await checked(url, signal)).json();
}

export async function getText(url, signal) {
  return (await checked(url, signal)).text();
}

export const components = (signal) => getJSON('./api/v0/web/components', signal);
export const component = (id, signal) => getJSON(`./api/v0/web/components/${encodeURI(id)}`, signal);

/**
 * Reads one of Alloy's streams (`/graph`, `/debug/<id>`): messages each ended by `|;|`, which may arrive split
 * across chunks or several to a chunk. Calls `onMessages` with the complete ones; resolves when the server ends
 * the stream, rejects with an HttpError when it answers an error, or with an AbortError when `signal` aborts.
 */
export async function stream(url, signal, onOpen, onMessages) {
  const r = await checked(url, signal);
  if (!r.body) throw new Error(`${url} answered without a body`);
  onOpen();
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const parts = pending.split('|;|');
    pending = parts.pop();
    const complete = parts.filter((p) => p !== '');
    if (complete.length > 0) onMessages(complete);
  }
}
