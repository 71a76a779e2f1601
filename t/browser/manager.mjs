// The manager page (handler charon-manager) in headless Chromium, driven by
// playwright-core. Run by t/browser.t, which reports its checks as TAP; it
// can also run by hand against a running server:
//
//   CHARON_BASE_URL=http://127.0.0.1:8529 CHARON_API_KEY=... \
//   CHARON_PLAYWRIGHT_DIR=build/browser node t/browser/manager.mjs
//
// Environment:
//   CHARON_BASE_URL        scheme://host:port of the server (required)
//   CHARON_MANAGER_PATH    the manager's mount (default /charon-manager)
//   CHARON_MANAGER_USER, CHARON_MANAGER_PASS  its Basic auth
//                          (default operator / operator-test-pw)
//   CHARON_API_PATH        an API mount (default /api/)
//   CHARON_API_KEY         a key valid there (required)
//   CHARON_PLAYWRIGHT_DIR  the directory whose node_modules holds
//                          playwright-core (default build/browser)
//   CHARON_CHROMIUM        the browser (default /usr/bin/chromium)
//   CHARON_SCREENSHOT_DIR  where the screenshots go (default t/logs/screenshots;
//                          t/browser.t's: kept with the test's logs)
//
// Output, on stdout, one JSON object a line:
//   {"plan": [name, ...]}                    first: every check there will be
//   {"check": name, "ok": bool, "diag": "..."}  one a check
//   {"abort": "why"}                         a step failed: the checks after it
//                                            are not reported (they fail)
//   {"done": true}                           last, when the script got to its end
//
// What it does, in the contract's terms (/work/notes/issue6-contract.md):
// without JavaScript, create a cron through form#create and see its row, and
// see .error when creating it again; with JavaScript, create another, open
// its page (a.cron-link), switch it off with a reason (form#switch-off), see
// the API refuse it, switch it on (form#switch-on), run it through the API
// (start, messages, end), reload and see the run and its messages. No
// JavaScript dialog, no console error, no page showing an API key. Then set
// the cron's schedule (form#schedule) and see its next slots, clear it
// again; and create crons with long slugs and names, which must wrap
// rather than make the page wider than the window.

import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { contextOptions, launch, loadChromium, where } from './common.mjs';

const env = process.env;
const BASE = (env.CHARON_BASE_URL || '').replace(/\/+$/, '');
const MOUNT = env.CHARON_MANAGER_PATH || '/charon-manager';
const USER = env.CHARON_MANAGER_USER || 'operator';
const PASS = env.CHARON_MANAGER_PASS || 'operator-test-pw';
const API = (env.CHARON_API_PATH || '/api/').replace(/\/?$/, '/');
const KEY = env.CHARON_API_KEY || '';
const { pwDir: PW_DIR, chromium: CHROMIUM } = where(env);
const SHOTS = path.resolve(env.CHARON_SCREENSHOT_DIR || 't/logs/screenshots');

const PLAN = [
    'nojs: the list answers 200 with table#crons and form#create',
    'nojs: form#create answers 303 See Other, then the page answers 200',
    'nojs: the new cron has its row, state on',
    'nojs: creating the same slug again shows .error and adds no row',
    'the list answers 200 with table#crons and form#create',
    'form#create answers 303 See Other, then the page answers 200 without .error',
    'the new cron has its row in table#crons, state on',
    'a.cron-link opens the cron page: h1 with the slug, table#executions',
    'form#switch-off answers 303, then the cron page shows off and the reason',
    'the list shows the cron off, with the reason',
    'API can-start while off: canStart false, refusal inactive, the reason',
    'API start while off: 418, refusal inactive',
    'form#switch-on answers 303; the list shows on; can-start says true',
    'API start, message (info, warning) and end (success) answer 200',
    'after a reload, the run has its row with outcome success',
    'the run\'s messages show as li.msg-info, li.msg-warning, li.msg-success',
    'form#schedule answers 303; the cron page lists its next five slots in table#next-slots',
    'form#schedule with empty fields leaves the cron unscheduled',
    'crons with 70- and 150-character slugs and names: the list is no wider than the window',
    'the page of the 150-character cron is no wider than the window',
    'the screenshots are written',
    'no JavaScript dialog appeared',
    'no console error and no page error (JavaScript on)',
    'no page showed an API key',
];

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const reported = new Set();
function check(n, ok, diag) {
    const name = PLAN[n];
    if (name === undefined) throw new Error(`check ${n} is not in the plan`);
    reported.add(n);
    out({ check: name, ok: !!ok, diag: ok ? '' : String(diag ?? '') });
    return !!ok;
}
class Abort extends Error {}
// must: a check the next steps depend on; when it fails they do not run.
function must(n, ok, diag) {
    if (!check(n, ok, diag)) throw new Abort(`stopped after: ${PLAN[n]}`);
}

out({ plan: PLAN });

// The whole run is bounded: a hung page must not hang the suite.
const watchdog = setTimeout(() => {
    out({ abort: 'the browser script took more than 90 s' });
    process.exit(3);
}, 90_000);
watchdog.unref();

if (!BASE || !KEY) {
    out({ abort: 'CHARON_BASE_URL and CHARON_API_KEY are required' });
    process.exit(2);
}

let chromium;
try {
    chromium = loadChromium(PW_DIR);
} catch (e) {
    out({ abort: e.message });
    process.exit(2);
}

const rand = randomBytes(4).toString('hex');
const SLUG = `browser-${rand}`;
const SLUG_NOJS = `browser-nojs-${rand}`;
// Plain texts (they show in the screenshots): each is looked for
// in this cron's own row or page only.
const REASON = 'database migration until Monday';
const MSG_INFO = 'backup of 42 tables started';
const MSG_WARN = 'table audit_log is larger than 1 GB';
const MSG_END = 'backup done: 42 tables, 3.1 GB';
const SHOT = {
    list: path.join(SHOTS, 'manager-list.png'),
    off: path.join(SHOTS, 'manager-cron-off.png'),
    run: path.join(SHOTS, 'manager-cron-run.png'),
    long: path.join(SHOTS, 'manager-long-slugs.png'),
};
// Slugs and names of 70 and 150 characters with no space to break at:
// an operator's 70-character slug pushed the list past the window.
const LONG_PREFIX = `browser-long-${rand}-`;
const longText = (head, n, fill) => head + fill.repeat(n - head.length);
const LONG = [70, 150].map((n) => ({
    slug: longText(LONG_PREFIX, n, 's'),
    name: longText(`Long-name-${n}-`, n, 'n'),
}));

const dialogs = [];     // JavaScript dialogs seen (both contexts)
const jsErrors = [];    // console errors and page errors (JavaScript on)
const leaks = [];       // pages that showed a key
let lastPage = null;    // for the diagnostics of an abort

function watch(page, label, collectErrors) {
    page.setDefaultTimeout(5_000);
    page.setDefaultNavigationTimeout(10_000);
    page.on('dialog', async (d) => {
        dialogs.push(`${label}: ${d.type()} "${d.message()}" on ${page.url()}`);
        await d.dismiss().catch(() => {});
    });
    if (collectErrors) {
        page.on('console', (m) => {
            if (m.type() !== 'error') return;
            const where = m.location()?.url || '';
            // Chromium asks for /favicon.ico by itself; the page does not.
            if (/\/favicon\.ico(\?|$)/.test(where)) return;
            jsErrors.push(`console: ${m.text()}${where ? ` (${where})` : ''}`);
        });
        page.on('pageerror', (e) => jsErrors.push(`page error: ${e.message}`));
    }
    page.on('load', async () => {
        try {
            const html = await page.content();
            if (html.toLowerCase().includes('test-key-')) leaks.push(page.url());
        } catch { /* navigated away meanwhile */ }
    });
    lastPage = page;
}

// go: GET a URL of the manager (relative to its mount), the final response.
async function go(page, query = '') {
    const res = await page.goto(BASE + MOUNT + query);
    return res;
}

// submit: clicks the submit button of a form and waits for the page that
// follows. Returns { post, final }: the status of the POST's own answer
// (303 when it redirected) and the final response.
async function submit(page, form) {
    const button = page.locator(`${form} button[type=submit], ${form} input[type=submit]`).first();
    const [final] = await Promise.all([page.waitForNavigation(), button.click()]);
    let post = final?.status();
    let method = final?.request().method();
    const from = final?.request().redirectedFrom();
    if (from) {
        method = from.method();
        post = (await from.response())?.status();
    }
    return { post, method, final: final?.status(), url: page.url() };
}

const describe = (s) => `POST answered ${s.post} (${s.method}), then ${s.final} at ${s.url}`;
const prgOk = (s) => s.method === 'POST' && s.post === 303 && s.final === 200;
const text = async (loc) => ((await loc.count()) ? (await loc.first().innerText()).trim() : null);
const stateOf = (page, slug) => text(page.locator(`table#crons tr[data-slug="${slug}"] td.state`));
const rowsOf = (page, slug) => page.locator(`table#crons tr[data-slug="${slug}"]`).count();
// How wide the page is against the window, in CSS pixels.
const widths = (page) => page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    window: window.innerWidth,
}));

async function api(method, route, body) {
    const res = await fetch(BASE + API + route, {
        method,
        headers: { 'X-API-KEY': KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
    });
    const raw = await res.text();
    let json = null;
    try { json = JSON.parse(raw); } catch { /* not JSON */ }
    return { status: res.status, json, raw: raw.slice(0, 300) };
}
const show = (r) => `${r.status} ${r.raw}`;

async function createCron(page, slug, name) {
    await page.fill('form#create input[name=slug]', slug);
    await page.fill('form#create input[name=name]', name);
    await page.selectOption('form#create select[name=concurrency]', 'forbid');
    await page.fill('form#create input[name=max_runtime]', '3600');
    return submit(page, 'form#create');
}

async function shot(page, file) {
    await page.screenshot({ path: file, fullPage: true });
}

let browser;
try {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launch(chromium, CHROMIUM);
    const ctxOpts = contextOptions(USER, PASS);

    // ---- without JavaScript: the forms work as plain HTML
    const nojs = await browser.newContext({ ...ctxOpts, javaScriptEnabled: false });
    const np = await nojs.newPage();
    watch(np, 'JavaScript off', false);
    let res = await go(np);
    must(0, res?.status() === 200 && (await np.locator('table#crons').count()) === 1
            && (await np.locator('form#create').count()) === 1,
         `GET ${MOUNT}: ${res?.status()}, table#crons ${await np.locator('table#crons').count()}, `
         + `form#create ${await np.locator('form#create').count()}`);
    let s = await createCron(np, SLUG_NOJS, 'Created without JavaScript');
    must(1, prgOk(s), describe(s));
    // the answer after a POST may be the cron's page or the list: look at
    // the list, filtered to the slug (it is paged)
    await go(np, `?slug=${encodeURIComponent(SLUG_NOJS)}`);
    let st = await stateOf(np, SLUG_NOJS);
    must(2, st !== null && /^on\b/i.test(st),
         `row tr[data-slug="${SLUG_NOJS}"] td.state: ${st === null ? 'absent' : `"${st}"`}`);
    s = await createCron(np, SLUG_NOJS, 'The same slug again');
    const err = await text(np.locator('.error'));
    await go(np, `?slug=${encodeURIComponent(SLUG_NOJS)}`);
    const rows = await rowsOf(np, SLUG_NOJS);
    check(3, err && rows === 1,
          `.error: ${err === null ? 'absent' : `"${err}"`}; rows with the slug on the list: ${rows}; ${describe(s)}`);
    await nojs.close();

    // ---- with JavaScript
    const ctx = await browser.newContext(ctxOpts);
    const page = await ctx.newPage();
    watch(page, 'JavaScript on', true);
    res = await go(page);
    must(4, res?.status() === 200 && (await page.locator('table#crons').count()) === 1
            && (await page.locator('form#create').count()) === 1,
         `GET ${MOUNT}: ${res?.status()}`);
    s = await createCron(page, SLUG, 'Nightly backup (browser test)');
    const err2 = await text(page.locator('.error'));
    must(5, prgOk(s) && err2 === null, `${describe(s)}; .error: ${err2}`);
    await go(page, `?slug=${encodeURIComponent(SLUG)}`);
    st = await stateOf(page, SLUG);
    must(6, st !== null && /^on\b/i.test(st),
         `row tr[data-slug="${SLUG}"] td.state: ${st === null ? 'absent' : `"${st}"`}`);

    await Promise.all([
        page.waitForNavigation(),
        page.locator(`table#crons tr[data-slug="${SLUG}"] a.cron-link`).first().click(),
    ]);
    const cronUrl = page.url();
    const pageCronId = new URL(cronUrl).searchParams.get('cron');
    const h1 = await text(page.locator('h1'));
    must(7, h1 !== null && h1.includes(SLUG) && /^\d+$/.test(pageCronId ?? '')
            && (await page.locator('table#executions').count()) === 1,
         `at ${cronUrl}: h1 ${JSON.stringify(h1)}, cron=${pageCronId}, `
         + `table#executions ${await page.locator('table#executions').count()}`);

    await page.fill('form#switch-off input[name=reason]', REASON);
    s = await submit(page, 'form#switch-off');
    let body = await page.locator('body').innerText();
    must(8, prgOk(s) && /\boff\b/i.test(body) && body.includes(REASON),
         `${describe(s)}; the page ${/\boff\b/i.test(body) ? 'says' : 'does not say'} off, `
         + `${body.includes(REASON) ? 'shows' : 'does not show'} the reason "${REASON}"`);
    const offUrl = page.url();

    await go(page, `?slug=${encodeURIComponent(SLUG)}`);
    st = await stateOf(page, SLUG);
    check(9, st !== null && /^off\b/i.test(st) && st.includes(REASON),
          `td.state: ${st === null ? 'absent' : `"${st}"`}, expected off and "${REASON}"`);

    let r = await api('GET', `${encodeURIComponent(SLUG)}/can-start`);
    const cronId = r.json?.cronId;
    check(10, r.status === 200 && r.json?.canStart === false && r.json?.refusal === 'inactive'
              && r.json?.reason === REASON && String(cronId) === pageCronId,
          `can-start: ${show(r)} (the page's cron id: ${pageCronId})`);
    if (!Number.isInteger(cronId)) throw new Abort(`no cronId from can-start: ${show(r)}`);
    r = await api('POST', `${cronId}/start`);
    check(11, r.status === 418 && r.json?.refusal === 'inactive', `start: ${show(r)}`);

    // the cron's page while off (after the refused start), for the README
    await page.goto(offUrl.includes('cron=') ? offUrl : cronUrl);
    await shot(page, SHOT.off);

    s = await submit(page, 'form#switch-on');
    await go(page, `?slug=${encodeURIComponent(SLUG)}`);
    st = await stateOf(page, SLUG);
    r = await api('GET', `${encodeURIComponent(SLUG)}/can-start`);
    must(12, prgOk(s) && st !== null && /^on\b/i.test(st) && r.status === 200 && r.json?.canStart === true,
         `${describe(s)}; td.state ${JSON.stringify(st)}; can-start: ${show(r)}`);

    const calls = [];
    r = await api('POST', `${cronId}/start`);
    calls.push(`start ${show(r)}`);
    const execId = r.json?.id;
    let ok = r.status === 200 && Number.isInteger(execId);
    if (ok) {
        for (const [type, message] of [['info', MSG_INFO], ['warning', MSG_WARN]]) {
            r = await api('POST', `${execId}/message`, { type, message });
            calls.push(`message ${show(r)}`);
            ok &&= r.status === 200;
        }
        r = await api('POST', `${execId}/end`, { success: true, type: 'success', message: MSG_END });
        calls.push(`end ${show(r)}`);
        ok &&= r.status === 200;
    }
    must(13, ok, calls.join('; '));

    await page.goto(cronUrl);   // the cron's page again: a fresh GET
    const outcome = await text(page.locator(`table#executions tr[data-execution-id="${execId}"] td.outcome`));
    check(14, outcome === 'success',
          `tr[data-execution-id="${execId}"] td.outcome: ${outcome === null ? 'absent' : JSON.stringify(outcome)}`);
    const seen = {};
    for (const [type, message] of [['info', MSG_INFO], ['warning', MSG_WARN], ['success', MSG_END]]) {
        seen[type] = await page.locator(`ul.messages li.msg-${type}`, { hasText: message }).count();
    }
    check(15, seen.info >= 1 && seen.warning >= 1 && seen.success >= 1,
          `ul.messages li.msg-TYPE holding our message, counts: ${JSON.stringify(seen)}`);

    await page.fill('form#schedule input[name=schedule]', '30 2 * * *');
    await page.fill('form#schedule input[name=timezone]', 'Europe/Paris');
    await page.fill('form#schedule input[name=grace]', '10m');
    s = await submit(page, 'form#schedule');
    const slotRows = await page.locator('table#next-slots tr.slot').count();
    const slotZone = await text(page.locator('table#next-slots th'));
    check(16, prgOk(s) && slotRows === 5 && slotZone === 'Europe/Paris',
          `${describe(s)}; table#next-slots: ${slotRows} tr.slot, zone ${JSON.stringify(slotZone)}`);
    await shot(page, SHOT.run);

    // the list: it then shows the crons with their runs and the schedule
    // (before the long ones are made, which would fill the picture)
    await go(page);
    await shot(page, SHOT.list);
    // No schedule is left behind for the watchdog to judge in the tests
    // that run after this one.
    await page.goto(cronUrl);
    for (const f of ['schedule', 'timezone', 'grace']) {
        await page.fill(`form#schedule input[name=${f}]`, '');
    }
    s = await submit(page, 'form#schedule');
    const unscheduled = await page.locator('[data-sched-state="unscheduled"]').count();
    check(17, prgOk(s) && unscheduled === 1
              && (await page.locator('table#next-slots').count()) === 0,
          `${describe(s)}; [data-sched-state=unscheduled]: ${unscheduled}`);

    let longUrl = null;
    const made = [];
    for (const l of LONG) {
        await go(page);
        s = await createCron(page, l.slug, l.name);
        made.push(describe(s));
        if (!prgOk(s)) throw new Abort(`creating ${l.slug}: ${describe(s)}`);
        longUrl = page.url();
    }
    await go(page, `?slug=${encodeURIComponent(LONG_PREFIX)}`);
    const listRows = await page.locator('table#crons tr[data-slug]').count();
    let w = await widths(page);
    await shot(page, SHOT.long);
    check(18, listRows === 2 && w.scroll <= w.window,
          `rows ${listRows} (expected 2); page ${w.scroll} px wide in a window of ${w.window} px`);
    await page.goto(longUrl);
    const longH1 = await text(page.locator('h1'));
    w = await widths(page);
    check(19, longH1 !== null && longH1.includes(LONG[1].slug) && w.scroll <= w.window,
          `at ${longUrl}: h1 ${JSON.stringify(longH1)}; page ${w.scroll} px wide in a window of ${w.window} px`);

    const bad = [];
    for (const f of Object.values(SHOT)) {
        let size = 0;
        try { size = statSync(f).size; } catch { /* missing */ }
        if (size < 1000) bad.push(`${f}: ${size} bytes`);
    }
    check(20, bad.length === 0, bad.join('; '));
    await ctx.close();
} catch (e) {
    let where = '';
    try {
        if (lastPage && !lastPage.isClosed()) {
            const b = (await lastPage.locator('body').innerText({ timeout: 1000 })).replace(/\s+/g, ' ');
            where = ` [page ${lastPage.url()}: ${b.slice(0, 400)}]`;
        }
    } catch { /* no page */ }
    out({ abort: (e instanceof Abort ? e.message : `error: ${e.stack || e}`) + where });
} finally {
    // these hold whatever happened before
    check(21, dialogs.length === 0, dialogs.join('; '));
    check(22, jsErrors.length === 0, jsErrors.join('; '));
    check(23, leaks.length === 0, `pages with "test-key-": ${leaks.join(', ')}`);
    if (browser) await browser.close().catch(() => {});
}
out({ done: true });
