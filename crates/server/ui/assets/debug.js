// `/debug/<id>`: the live stream of what a component moves (`/api/v0/web/debug/<id>`), with sampling, a filter,
// pause (which closes the stream: a paused page costs the agent nothing) and a bounded buffer.
import { stream } from './api.js';
import { errorBox, h, pageHref, replace } from './dom.js';

const MAX_LINES = 5000;

export async function render(app, id) {
  document.title = `Live debugging ${id} · ingot`;
  const lines = [];
  let received = 0;
  let controller = null;
  let paused = false;

  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'Filter (substring, any case)', size: 30 });
  const sample = h('input', { id: 'sample', type: 'range', min: 0, max: 100, value: 100, step: 1 });
  const sampleText = h('span', { id: 'sample-value' }, '100%');
  const pauseButton = h('button', { id: 'pause', type: 'button' }, 'Pause');
  const clearButton = h('button', { id: 'clear', type: 'button' }, 'Clear');
  const follow = h('input', { id: 'follow', type: 'checkbox', checked: true });
  const status = h('span', { id: 'stream-status', 'data-state': 'connecting' }, 'Connecting…');
  const counts = h('span', { id: 'counts' }, '');
  const problem = h('div', { id: 'stream-problem' });
  const output = h('div', { id: 'output', class: 'log', role: 'log' });

  replace(
    app,
    h('h1', {}, 'Live debugging ', h('a', { href: pageHref('component', id) }, id)),
    h(
      'p',
      { class: 'controls' },
      h('label', {}, 'Filter ', filter),
      ' ',
      h('label', {}, 'Sample rate ', sample, ' ', sampleText),
      ' ',
      pauseButton,
      ' ',
      clearButton,
      ' ',
      h('label', {}, follow, ' Follow'),
    ),
    h('p', { class: 'informative' }, status, ' ', counts),
    problem,
    output,
  );

  const matches = (line) => {
    const f = filter.value.trim().toLowerCase();
    return f === '' || line.toLowerCase().includes(f);
  };
  const updateCounts = () => {
    counts.textContent = `${received} received, ${lines.length} kept (at most ${MAX_LINES}), ${output.childElementCount} shown`;
  };
  const redraw = () => {
    replace(output, lines.filter(matches).map((l) => h('div', { class: 'line' }, l)));
    updateCounts();
  };

  // New lines are drawn once per frame, however many arrive.
  let queued = [];
  let frame = 0;
  const flush = () => {
    frame = 0;
    const fresh = queued;
    queued = [];
    for (const l of fresh) if (matches(l)) output.appendChild(h('div', { class: 'line' }, l));
    while (output.childElementCount > MAX_LINES) output.firstChild.remove();
    if (follow.checked) output.scrollTop = output.scrollHeight;
    updateCounts();
  };
  const add = (messages) => {
    received += messages.length;
    for (const m of messages) lines.push(m);
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
    queued.push(...messages);
    if (queued.length > MAX_LINES) queued.splice(0, queued.length - MAX_LINES);
    if (!frame) frame = requestAnimationFrame(flush);
  };

  const connect = () => {
    if (controller) controller.abort();
    controller = new AbortController();
    const prob = Number(sample.value) / 100;
    status.dataset.state = 'connecting';
    status.textContent = 'Connecting…';
    replace(problem);
    stream(
      `./api/v0/web/debug/${encodeURI(id)}?sampleProb=${prob}`,
      controller.signal,
      () => {
        status.dataset.state = 'streaming';
        status.textContent = prob < 1 ? `Streaming, ${Math.round(prob * 100)}% of the data sampled` : 'Streaming';
      },
      add,
    ).then(
      () => {
        status.dataset.state = 'ended';
        status.textContent = 'The agent ended the stream (a reload or a stop); press Resume to reconnect.';
        paused = true;
        pauseButton.textContent = 'Resume';
      },
      (err) => {
        if (err.name === 'AbortError') return;
        status.dataset.state = 'error';
        status.textContent = 'Stopped.';
        replace(problem, errorBox('The live debugging stream failed:', err));
        paused = true;
        pauseButton.textContent = 'Resume';
      },
    );
  };

  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    if (paused) {
      if (controller) controller.abort();
      status.dataset.state = 'paused';
      status.textContent = 'Paused (the stream is closed until you resume).';
    } else {
      connect();
    }
  });
  clearButton.addEventListener('click', () => {
    lines.length = 0;
    queued = [];
    replace(output);
    updateCounts();
  });
  filter.addEventListener('input', redraw);
  sample.addEventListener('input', () => (sampleText.textContent = `${sample.value}%`));
  sample.addEventListener('change', () => {
    if (!paused) connect();
  });
  output.addEventListener('scroll', () => {
    // Scrolling up to read stops following; scrolling back to the end follows again.
    follow.checked = output.scrollHeight - output.scrollTop - output.clientHeight < 24;
  });

  updateCounts();
  connect();
}
