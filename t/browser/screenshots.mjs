// The README's pictures of the manager page, taken of the demo database
// (harness/demo.py, make run's). Run by harness/screenshots.py (`make
// screenshots`), which creates the database, starts httpd and waits for the
// watchdog to judge heartbeat's first slot; by hand, against `make run`:
//
//   CHARON_BASE_URL=http://127.0.0.1:8080 CHARON_MANAGER_PASS=$(cat run/manager-password) \
//   CHARON_SCREENSHOT_DIR=/tmp/shots node t/browser/screenshots.mjs
//
// Environment:
//   CHARON_BASE_URL        scheme://host:port of the server (required)
//   CHARON_MANAGER_PATH    the manager's mount (default /charon-manager)
//   CHARON_MANAGER_USER, CHARON_MANAGER_PASS  its Basic auth (user default
//                          operator; the password is required)
//   CHARON_SCREENSHOT_DIR  where the pictures go (required)
//   CHARON_PLAYWRIGHT_DIR, CHARON_CHROMIUM  as for manager.mjs (common.mjs)
//
// Each picture is taken only once the page shows what the README's caption
// says (the checks below); otherwise the script says what was missing and
// exits 1, having written no picture of that page. Progress on stdout, the
// reason of a failure on stderr.

import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { contextOptions, launch, loadChromium, where } from './common.mjs';

const env = process.env;
const BASE = (env.CHARON_BASE_URL || '').replace(/\/+$/, '');
const MOUNT = env.CHARON_MANAGER_PATH || '/charon-manager';
const USER = env.CHARON_MANAGER_USER || 'operator';
const PASS = env.CHARON_MANAGER_PASS || '';
const SHOTS = env.CHARON_SCREENSHOT_DIR ? path.resolve(env.CHARON_SCREENSHOT_DIR) : '';
const { pwDir, chromium: CHROMIUM } = where(env);

// The demo's crons (harness/demo.py) and what each picture must show.
const SLUGS = ['cleanup-tmp', 'heartbeat', 'hourly-sync', 'nightly-backup', 'weekly-report'];
const OFF_REASON = 'waiting for the new template';
// heartbeat (@every 1m, grace 30 s, never started) is "missed" from its
// slot's judgment (10 s or more after the deadline, at a watchdog tick) to
// its next slot, then "due" for 30 s: about 20 s a minute. A full minute
// and a bit covers one whole turn of that.
const MISSED_WAIT_MS = 75_000;

const say = (m) => process.stdout.write(`screenshots.mjs: ${m}\n`);
class Missing extends Error {}
function need(ok, what) {
    if (!ok) throw new Missing(what);
}

const watchdog = setTimeout(() => {
    process.stderr.write('screenshots.mjs: took more than 150 s\n');
    process.exit(3);
}, 150_000);
watchdog.unref();

if (!BASE || !PASS || !SHOTS) {
    process.stderr.write('screenshots.mjs: CHARON_BASE_URL, CHARON_MANAGER_PASS and '
                         + 'CHARON_SCREENSHOT_DIR are required\n');
    process.exit(2);
}

const text = async (loc) => ((await loc.count()) ? (await loc.first().innerText()).trim() : null);
const rowOf = (page, slug) => page.locator(`table#crons tr[data-slug="${slug}"]`);
const stateOf = (page, slug) => rowOf(page, slug).locator('[data-sched-state]').first()
    .getAttribute('data-sched-state', { timeout: 1000 }).catch(() => null);

// The whole page, however long, at the window's width (wider when the page
// overflows it, which is said: the page is meant to fit).
async function shot(page, name) {
    const file = path.join(SHOTS, name);
    await page.screenshot({ path: file, fullPage: true });
    const w = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth, window: window.innerWidth,
    }));
    say(`${name}: ${page.url().replace(BASE, '')}, ${statSync(file).size} bytes`
        + (w.page > w.window ? `; note: the page is ${w.page} px wide in a `
                              + `${w.window} px window` : ''));
}

async function open(page, query = '') {
    const res = await page.goto(BASE + MOUNT + query);
    need(res?.status() === 200, `GET ${MOUNT}${query} answered ${res?.status()}`);
}

// The cron's page, as an operator gets there: its link on the list.
async function cronPage(page, slug) {
    await open(page);
    await Promise.all([
        page.waitForNavigation(),
        rowOf(page, slug).locator('a.cron-link').first().click(),
    ]);
    const h1 = await text(page.locator('h1'));
    need(h1?.includes(slug), `the page of ${slug}: h1 ${JSON.stringify(h1)}`);
}

let browser;
let status = 0;
try {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launch(loadChromium(pwDir), CHROMIUM);
    const ctx = await browser.newContext(contextOptions(USER, PASS));
    const page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    page.setDefaultNavigationTimeout(20_000);

    // ---- the list, while heartbeat's state is "missed" and every schedule
    // has been taken in by the watchdog
    const until = Date.now() + MISSED_WAIT_MS;
    let hb, unwatched;
    for (;;) {
        await open(page);
        hb = await stateOf(page, 'heartbeat');
        unwatched = await page.locator('table#crons [data-sched-state="not-watched"]').count();
        if ((hb === 'missed' && unwatched === 0) || Date.now() > until) break;
        await page.waitForTimeout(1000);
    }
    need(hb === 'missed' && unwatched === 0,
         `in ${MISSED_WAIT_MS / 1000} s the list never showed heartbeat missed with every `
         + `schedule watched (last: heartbeat ${hb}, ${unwatched} not watched yet)`);
    const rows = await page.locator('table#crons tr[data-slug]').evaluateAll(
        (trs) => trs.map((tr) => tr.dataset.slug));
    need(JSON.stringify(rows) === JSON.stringify(SLUGS),
         `the list's crons: ${rows.join(', ')}; expected the demo's: ${SLUGS.join(', ')}`);
    need((await stateOf(page, 'weekly-report')) === 'off', 'weekly-report is not shown off');
    await shot(page, 'manager-list.png');

    // ---- nightly-backup: its schedule, next slots, a too-short run, a failure
    await cronPage(page, 'nightly-backup');
    const zone = await text(page.locator('table#next-slots th'));
    const slots = await page.locator('table#next-slots tr.slot').count();
    need(zone === 'Europe/Paris' && slots === 5,
         `nightly-backup's next slots: ${slots} in ${JSON.stringify(zone)}`);
    const tooShort = await page.locator('table#executions span.too-short').count();
    const failed = await page.locator('table#executions td.outcome', { hasText: 'failure' }).count();
    need(tooShort >= 1 && failed >= 1,
         `nightly-backup's history: ${tooShort} too short, ${failed} failed (1 of each expected)`);
    await shot(page, 'manager-cron-schedule.png');

    // ---- weekly-report: switched off, with the reason and the way back on
    await cronPage(page, 'weekly-report');
    const body = await page.locator('body').innerText();
    need(body.includes(OFF_REASON) && (await page.locator('form#switch-on').count()) === 1,
         `weekly-report's page: reason ${body.includes(OFF_REASON) ? 'shown' : 'missing'}, `
         + `form#switch-on ${await page.locator('form#switch-on').count()}`);
    await shot(page, 'manager-cron-off.png');
    await ctx.close();
} catch (e) {
    process.stderr.write(`screenshots.mjs: ${e instanceof Missing ? e.message : e.stack || e}\n`);
    status = 1;
} finally {
    if (browser) await browser.close().catch(() => {});
}
process.exit(status);
