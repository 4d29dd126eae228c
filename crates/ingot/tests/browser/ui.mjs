// Drives Debian's chromium through ingot's web UI as a person would, for crates/ingot/tests/web_ui.rs, and
// writes what it saw to <out>/result.json; the Rust test decides what is right. Screenshots go to <out>.
//
//   node ui.mjs '<json>'   with {base, out, secret, failing, secretComponent, debugId, missingId,
//                                 timing: {base, componentId, runs}}
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const WAIT = 10_000;
const result = { pages: {}, responses: [], streams: [], secretIn: [], consoleErrors: [], pageErrors: [] };

const context = await chromium.launchPersistentContext(mkdtempSync(join(cfg.out, 'chromium-profile-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1400, height: 900 },
});

// Every response the pages get is read and searched for the secret. Streams (the graph's rates, the live
// debugging lines) never end while the page is open: their text is what the page shows, which is checked.
const pending = [];
context.on('response', (response) => {
  const url = response.url();
  if (/\/api\/v0\/web\/(graph|debug\/)/.test(url) && response.ok()) {
    result.streams.push(url);
    return;
  }
  pending.push(
    response.body().then(
      (body) => {
        result.responses.push({ url, status: response.status(), type: response.headers()['content-type'] || '', bytes: body.length });
        if (body.includes(cfg.secret)) result.secretIn.push(url);
      },
      (err) => result.responses.push({ url, status: response.status(), unread: String(err).slice(0, 200) }),
    ),
  );
});
context.on("weberror", (e) => result.pageErrors.push(String(e.error())));

const page = await context.newPage();
page.on('console', (m) => {
  if (m.type() === 'error') result.consoleErrors.push(`${page.url()}: ${m.text()}`);
});

async function open(path) {
  await page.goto(new URL(path, cfg.base).href);
  await page.waitForSelector('html[data-ready]', { timeout: WAIT });
}

async function shot(name) {
  const file = join(cfg.out, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function text() {
  const t = await page.evaluate(() => document.body.innerText);
  if (t.includes(cfg.secret)) result.secretIn.push(`page text of ${page.url()}`);
  return t;
}

async function step(name, fn) {
  const started = Date.now();
  try {
    result.pages[name] = await fn();
  } catch (err) {
    result.pages[name] = { failed: String(err.stack || err) };
  }
  result.pages[name].ms = Date.now() - started;
}

await step('list', async () => {
  await open('./');
  const rows = await page.$$eval('#components tbody tr', (trs) =>
    trs.map((tr) => ({ id: tr.dataset.id, health: tr.dataset.health, message: tr.querySelector('td.message').innerText })),
  );
  const failing = await page.$$eval('#failing li', (lis) => lis.map((li) => ({ id: li.dataset.id, text: li.innerText })));
  const summary = await page.$eval('#summary', (p) => p.innerText);
  await text();
  return { rows, failing, summary, screenshot: await shot('list') };
});

await step('component', async () => {
  await open(`./component/${cfg.failing}`);
  await page.waitForFunction(() => /^Metrics/.test(document.querySelector('#metrics h2')?.innerText || ''), null, { timeout: WAIT });
  const get = (sel) => page.$eval(sel, (e) => e.innerText).catch(() => null);
  const targets = await page.$$eval('#targets tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText)));
  const links = async (sel) => page.$$eval(`${sel} li`, (lis) => lis.map((li) => li.dataset.id));
  const docs = await page.$eval('.actions a', (a) => a.href);
  return {
    title: await get('#title'),
    health: await get('#health'),
    arguments: await get('#arguments'),
    exports: await get('#exports'),
    targets,
    dependencies: await links('#dependencies'),
    dependants: await links('#dependants'),
    sendsTo: await links('#sends-to'),
    metricsTitle: await get('#metrics h2'),
    metricsText: await get('#metrics'),
    docs,
    liveDebuggingLink: await page.$eval('#live-debugging', (a) => a.getAttribute('href')).catch(() => null),
    text: await text(),
    screenshot: await shot('component'),
  };
});

await step('secretComponent', async () => {
  await open(`./component/${cfg.secretComponent}`);
  await page.waitForFunction(() => /^Metrics/.test(document.querySelector('#metrics h2')?.innerText || ''), null, { timeout: WAIT });
  return { arguments: await page.$eval('#arguments', (e) => e.innerText), text: await text(), screenshot: await shot('component-secret') };
});

await step('missing', async () => {
  await open(`./component/${cfg.missingId}`);
  return { text: await text() };
});

await step('graph', async () => {
  await open('./graph');
  await page.selectOption('#window', '1');
  const nodes = await page.$$eval('a.node', (as) => as.map((a) => ({ id: a.dataset.id, health: a.dataset.health })));
  const edges = await page.$$eval('g.edge-group', (gs) => gs.map((g) => ({ from: g.dataset.from, to: g.dataset.to })));
  // Live rates: the first window, or the error the page shows.
  await page
    .waitForFunction(() => ['live', 'error', 'ended'].includes(document.querySelector('#rates-status')?.dataset.state), null, { timeout: 5000 })
    .catch(() => {});
  if ((await page.$eval('#rates-status', (e) => e.dataset.state)) === 'live') {
    await page.waitForFunction(() => [...document.querySelectorAll('g.edge-group')].some((g) => Number(g.dataset.rate) > 0), null, { timeout: 5000 }).catch(() => {});
  }
  const rates = await page.$$eval('g.edge-group', (gs) => gs.map((g) => ({ from: g.dataset.from, to: g.dataset.to, rate: Number(g.dataset.rate || 0), label: g.querySelector('text.rate').textContent })));
  const status = await page.$eval('#rates-status', (e) => ({ state: e.dataset.state, text: e.innerText }));
  await text();
  return { nodes, edges, rates, status, screenshot: await shot('graph') };
});

await step('debug', async () => {
  await open(`./debug/${cfg.debugId}`);
  await page.waitForFunction(() => ['streaming', 'error', 'ended'].includes(document.querySelector('#stream-status')?.dataset.state), null, { timeout: WAIT });
  let state = await page.$eval('#stream-status', (e) => e.dataset.state);
  let lines = [];
  let filtered = null;
  let paused = null;
  let sampled = null;
  if (state === 'streaming') {
    await page.waitForFunction(() => document.querySelectorAll('#output .line').length > 0, null, { timeout: WAIT }).catch(() => {});
    lines = await page.$$eval('#output .line', (ls) => ls.slice(0, 20).map((l) => l.innerText));
    // The filter hides what does not match and shows it again when cleared.
    await page.fill('#filter', 'no line contains this 7f3a9');
    const hidden = await page.$$eval('#output .line', (ls) => ls.length);
    await page.fill('#filter', '');
    const shown = await page.$$eval('#output .line', (ls) => ls.length);
    filtered = { hidden, shown };
    // Pause closes the stream: nothing more arrives.
    await page.click('#pause');
    const before = await page.$eval('#counts', (e) => e.innerText);
    await page.waitForTimeout(2500);
    const after = await page.$eval('#counts', (e) => e.innerText);
    paused = { state: await page.$eval('#stream-status', (e) => e.dataset.state), before, after };
    state = 'streaming';
    // Sampling at 0% and resuming: the stream reopens with sampleProb=0 and the agent sends nothing.
    await page.$eval('#sample', (el) => {
      el.value = '0';
      el.dispatchEvent(new Event('input'));
      el.dispatchEvent(new Event('change'));
    });
    await page.click('#pause');
    await page.waitForFunction(() => document.querySelector('#stream-status')?.dataset.state === 'streaming', null, { timeout: WAIT });
    const sampledBefore = await page.$eval('#counts', (e) => e.innerText);
    await page.waitForTimeout(2500);
    sampled = {
      status: await page.$eval('#stream-status', (e) => e.innerText),
      before: sampledBefore,
      after: await page.$eval('#counts', (e) => e.innerText),
    };
  }
  const problem = await page.$eval('#stream-problem', (e) => e.innerText);
  await text();
  return { state, lines, filtered, paused, sampled, problem, screenshot: await shot('debug') };
});

await step('debugMissing', async () => {
  await open(`./debug/${cfg.missingId}`);
  await page.waitForFunction(() => ['streaming', 'error', 'ended'].includes(document.querySelector('#stream-status')?.dataset.state), null, { timeout: WAIT });
  return { state: await page.$eval('#stream-status', (e) => e.dataset.state), problem: await page.$eval('#stream-problem', (e) => e.innerText) };
});

// Load times with many components: from navigation to the page drawn with its data (the `ingot-ready` mark),
// after one warm-up load of each page.
if (cfg.timing) {
  await step('timing', async () => {
    const out = {};
    for (const [name, path] of [
      ['list', './'],
      ['component', `./component/${cfg.timing.componentId}`],
      ['graph', './graph'],
    ]) {
      const times = [];
      for (let i = 0; i <= cfg.timing.runs; i++) {
        await page.goto(new URL(path, cfg.timing.base).href);
        await page.waitForSelector('html[data-ready]', { timeout: WAIT });
        const ms = await page.evaluate(() => performance.getEntriesByName('ingot-ready')[0].startTime);
        if (i > 0) times.push(ms);
      }
      times.sort((a, b) => a - b);
      out[name] = { median: times[Math.floor(times.length / 2)], max: times[times.length - 1], runs: times.length };
    }
    out.rows = await page.goto(new URL('./', cfg.timing.base).href).then(() => page.waitForSelector('html[data-ready]')).then(() => page.$$eval('#components tbody tr', (t) => t.length));
    await page.goto(new URL('./graph', cfg.timing.base).href);
    await page.waitForSelector('html[data-ready]', { timeout: WAIT });
    out.graphNodes = await page.$$eval('a.node', (a) => a.length);
    out.screenshot = await shot('graph-100');
    return out;
  });
}

await page.close();
await Promise.allSettled(pending);
await context.close();
writeFileSync(join(cfg.out, 'result.json'), JSON.stringify(result, null, 2));
console.log(`result: ${join(cfg.out, 'result.json')}`);
