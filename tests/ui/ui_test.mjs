// Browser test of photopub's web UI: Debian's chromium driven by
// playwright-core at a phone's viewport (390×844). Run by
// tests/e2e/test_ui.py, which starts `photopub serve` and hands over a JSON
// file: {scenario, base_url, admin_pw, token, artifacts, ...}. Scenarios: main
// (load, next, login, analyze, publish), token (markup shown as text, the
// bearer-token prompt, the login rate limit), errors (failures in words).
//
// Prints "ok - <step>" per step and a last line "RESULT <json>" for the
// caller; on a failure prints "FAIL <step>: <why>", saves a screenshot and
// exits 1; exits 77 with "SKIP <why>" when chromium cannot be started.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const CHROMIUM = cfg.chromium || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 390, height: 844 };
const DPR = 2;
const TIMEOUT = cfg.timeout_ms || 30000;

let step = 'start';
let page = null;
const result = { scenario: cfg.scenario, screenshots: [] };
const problems = [];   // console errors, page errors, CSP violations

class Failure extends Error {}
function check(cond, why) { if (!cond) throw new Failure(why); }
function ok(name) { console.log('ok - ' + name); }

// Saves a screenshot; at: a selector to scroll into view first.
async function shot(name, { at, ...opts } = {}) {
  const file = path.join(cfg.artifacts, `ui-${cfg.scenario}-${name}.png`);
  if (at) await page.locator(at).scrollIntoViewIfNeeded();
  await page.screenshot({ path: file, ...opts });
  result.screenshots.push(file);
}

async function text(sel) { return ((await page.locator(sel).textContent()) || '').trim(); }
async function visible(sel) { return page.locator(sel).isVisible(); }

async function waitText(sel, re, why) {
  try {
    await page.waitForFunction(([s, src, flags]) => {
      const e = document.querySelector(s);
      return !!e && e.offsetParent !== null && new RegExp(src, flags).test(e.textContent || '');
    }, [sel, re.source, re.flags], { timeout: TIMEOUT });
  } catch (e) {
    const now = await page.locator(sel).first().textContent().catch(() => null);
    const msg = await page.locator('#message').textContent().catch(() => '');
    throw new Failure(`${why}: ${sel} should match ${re} but shows ${JSON.stringify(now)}` +
      (msg ? ` (message on the page: ${JSON.stringify(msg.trim())})` : ''));
  }
}

// The photo is loaded and decoded: naturalWidth > 0, no error overlay.
async function waitPhoto(why) {
  try {
    await page.waitForFunction(() => {
      const img = document.getElementById('photo');
      return img && !img.hidden && img.complete && img.naturalWidth > 0 &&
        !img.classList.contains('loading') && document.getElementById('filename').textContent.length > 0;
    }, null, { timeout: TIMEOUT });
  } catch (e) {
    const overlay = await text('#stage-overlay').catch(() => '');
    const msg = await text('#message').catch(() => '');
    throw new Failure(`${why}: the image never showed (overlay ${JSON.stringify(overlay)}, message ${JSON.stringify(msg)})`);
  }
  return page.evaluate(() => {
    const img = document.getElementById('photo');
    return { src: img.currentSrc, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
      filename: document.getElementById('filename').textContent,
      box: img.getBoundingClientRect().toJSON() };
  });
}

async function idle() {
  await page.waitForFunction(() => !document.querySelector('button[aria-busy=true]'), null, { timeout: TIMEOUT });
}

async function clickNextUntilChanged(before, tries) {
  for (let i = 0; i < tries; i++) {
    await page.click('#next');
    await idle();
    const info = await waitPhoto('after Next image');
    if (info.filename !== before) return info;
  }
  throw new Failure(`Next image kept showing ${before} after ${tries} clicks`);
}

async function login(pw) {
  await page.fill('#password', pw);
  await page.click('#login');
  await idle();
}

// ---- scenarios -------------------------------------------------------------

async function mainScenario() {
  step = 'load';
  await page.goto(cfg.base_url + '/', { waitUntil: 'domcontentloaded' });
  const first = await waitPhoto('on load');
  check(cfg.images.includes(first.filename), `the file name ${JSON.stringify(first.filename)} is not one of the folder's images`);
  const wantW = Math.min(2048, Math.round(DPR * VIEWPORT.width));
  check(new URL(first.src).searchParams.get('w') === String(wantW),
    `the image should be a phone-sized copy (?w=${wantW}), src is ${first.src}`);
  check(first.box.height <= VIEWPORT.height * 0.6 + 1, `the image is ${first.box.height}px high, more than 60% of the screen`);
  check(first.box.width <= VIEWPORT.width + 0.5, `the image is wider than the screen (${first.box.width}px)`);
  const scrollW = await page.evaluate(() => document.documentElement.scrollWidth);
  check(scrollW <= VIEWPORT.width, `the page scrolls sideways at 390 px (scrollWidth ${scrollW})`);
  await waitText('#request-id', /^[0-9a-f-]{16,}$/i, 'the request id of the last call');
  check(await visible('#login-form'), 'the admin login form should show when admin is configured');
  check(await page.isDisabled('#analyze'), 'Analyze should be disabled before the admin login');
  check(await page.isDisabled('#publish'), 'Publish should be disabled before the admin login');
  await waitText('#action-hint', /log in/i, 'the hint why Analyze is disabled');
  const boxes = await page.$$eval('#platforms input[type=checkbox]', (bs) => bs.map((b) => [b.value, b.checked]));
  check(JSON.stringify(boxes) === JSON.stringify(cfg.platforms.map((p) => [p, true])),
    `platform checkboxes ${JSON.stringify(boxes)} should be ${JSON.stringify(cfg.platforms)}, checked`);
  const labelled = await page.evaluate(() => Array.from(document.querySelectorAll('input'))
    .every((i) => (i.labels && i.labels.length > 0) || i.getAttribute('aria-label')));
  check(labelled, 'every input needs a label');
  await shot('01-loaded');
  ok('the page loads a random image (' + first.filename + ', ' + first.naturalWidth + 'px wide)');

  step = 'next image';
  const second = await clickNextUntilChanged(first.filename, 12);
  check(cfg.images.includes(second.filename), `next file name ${second.filename} is not in the folder`);
  check(second.src.includes(encodeURIComponent(second.filename)), `the image shown (${second.src}) is not ${second.filename}`);
  await shot('02-next');
  ok('Next image changes the file name (' + first.filename + ' → ' + second.filename + ')');

  step = 'keyboard';
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let reached = false;
  for (let i = 0; i < 8 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'next');
  }
  check(reached, 'Tab should reach the Next image button');
  ok('the Next image button is reachable with the keyboard');

  step = 'admin login';
  await login('not-the-password');
  await waitText('#login-error', /wrong password/i, 'a wrong password');
  check(await page.isDisabled('#analyze'), 'Analyze stays disabled after a wrong password');
  await shot('03-login-error', { at: '#login-form' });
  ok('a wrong password is answered in words: ' + await text('#login-error'));
  await login(cfg.admin_pw);
  await waitText('#admin-state', /logged in/i, 'after the right password');
  check(!(await visible('#login-form')), 'the login form should hide once logged in');
  check(await visible('#logout'), 'a Logout button should show once logged in');
  check(!(await page.isDisabled('#analyze')), 'Analyze should be enabled once logged in');
  check(!(await visible('#login-error')), 'the old error should be gone');
  await shot('04-logged-in', { at: '#force-refresh' });
  ok('admin login with the configured password');

  step = 'analyze';
  const shown = await text('#filename');
  await page.click('#analyze');
  await waitText('#analysis-source', /AI/, 'the analysis source');
  await idle();
  const description = await text('#an-description');
  const caption = await text('#an-caption');
  check(description.length > 10, `the description is missing: ${JSON.stringify(description)}`);
  check(caption.length > 0, 'the caption is missing');
  check(await page.locator('#an-tags li').count() > 0, 'no tag chips');
  await waitText('#an-nsfw', /safe for work/i, 'the NSFW flag');
  check(await text('#caption') === caption, 'the image caption should now be the analysis caption');
  check(await text('#sidecar-badge') === 'sidecar', 'the sidecar badge should say a sidecar exists now');
  await shot('05-analyzed', { at: '#analysis-card' });
  await shot('05-analyzed-full', { fullPage: true });
  ok('Analyze shows description, tags and caption: ' + JSON.stringify(caption));

  await page.click('#analyze');
  await idle();
  await waitText('#analysis-source', /sidecar \(no AI call\)/, 'a second Analyze');
  ok('a second Analyze says it came from the sidecar');
  await page.check('#force-refresh');
  await page.click('#analyze');
  await idle();
  await waitText('#analysis-source', /fresh from the AI/i, 'Analyze with force refresh');
  check((await text('#an-description')).length > 10, 'force refresh should bring the description back');
  await page.uncheck('#force-refresh');
  ok('force refresh asks the AI again');

  step = 'publish';
  check(await text('#filename') === shown, 'the image changed during analysis');
  await page.click('#publish');
  await page.locator('#publish-result').waitFor({ state: 'visible', timeout: TIMEOUT });
  await idle();
  const rows = await page.$$eval('#results li', (ls) => ls.map((l) => ({
    platform: l.dataset.platform, ok: l.classList.contains('ok'), text: l.textContent })));
  check(rows.length === cfg.platforms.length, `one result per platform expected, got ${JSON.stringify(rows)}`);
  const outbox = rows.find((r) => r.platform === 'outbox');
  check(outbox && outbox.ok, `the outbox result should be a success: ${JSON.stringify(rows)}`);
  const m = /post id (\S+)/.exec(outbox.text);
  check(m, `the outbox result should show its post id: ${outbox.text}`);
  await waitText('#publish-summary', /Archived/, 'the archived line');
  check(await page.isDisabled('#analyze') && await page.isDisabled('#publish'),
    'Analyze and Publish should be disabled once the image is archived');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  check(focused === 'next-after', `Next image should be offered (focused) after publishing, focus is on ${focused}`);
  await shot('06-published', { at: '#next-after' });
  await shot('06-published-full', { fullPage: true });
  result.published = { filename: shown, post_id: m[1], results: rows };
  ok('Publish shows the per-platform result and the archive: ' + outbox.text.replace(/\s+/g, ' '));

  step = 'next after publish';
  await page.click('#next-after');
  await idle();
  const after = await waitPhoto('after publishing');
  check(after.filename !== shown, `the archived image ${shown} was offered again`);
  check(!(await visible('#publish-result')) && !(await visible('#analysis-card')),
    'the old results should be cleared for the new image');
  ok('Next after publishing shows another image (' + after.filename + ')');

  step = 'dark and desktop';
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(bg !== 'rgb(244, 245, 247)', `the dark scheme should change the background, it is ${bg}`);
  await shot('07-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await waitPhoto('on a desktop screen');
  await shot('08-desktop');
  await page.setViewportSize(VIEWPORT);
  ok('dark scheme and desktop layout rendered');

  step = 'logout';
  await page.click('#logout');
  await page.locator('#login-form').waitFor({ state: 'visible', timeout: TIMEOUT });
  check(await page.isDisabled('#analyze'), 'Analyze should be disabled again after logout');
  ok('Logout brings the login form back');
}

async function tokenScenario() {
  step = 'load a hostile name and sidecar';
  await page.goto(cfg.base_url + '/', { waitUntil: 'domcontentloaded' });
  const info = await waitPhoto('on load');
  check(info.filename === cfg.filename, `file name shown ${JSON.stringify(info.filename)}, want ${JSON.stringify(cfg.filename)}`);
  check(await text('#caption') === cfg.caption, `the caption should show as text: ${JSON.stringify(await text('#caption'))}`);
  check(await text('#sd-caption') === cfg.sd_caption, 'the sd_caption should show as text');
  await page.click('#meta summary');
  const meta = await page.$$eval('#meta-list dt, #meta-list dd', (es) => es.map((e) => e.textContent));
  for (const [k, v] of Object.entries(cfg.metadata))
    check(meta.includes(k) && meta.includes(v), `metadata ${JSON.stringify(k)}: ${JSON.stringify(v)} missing from ${JSON.stringify(meta)}`);
  const injected = await page.evaluate(() => ({
    flag: window.__pp_xss, imgs: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length, bold: document.querySelectorAll('b').length }));
  check(injected.flag === undefined && injected.imgs === 1 && injected.scripts === 1 && injected.bold === 0,
    `markup from the API reached the page: ${JSON.stringify(injected)}`);
  await shot('01-hostile-text', { fullPage: true });
  ok('file name, captions and metadata holding markup are shown as text');

  step = 'login, then a bearer token';
  await login(cfg.admin_pw);
  await page.locator('#admin-state').waitFor({ state: 'visible', timeout: TIMEOUT });
  await page.click('#analyze');
  await page.locator('#token-dialog').waitFor({ state: 'visible', timeout: TIMEOUT });
  check(await page.evaluate(() => document.activeElement.id) === 'token', 'the token field should have the focus');
  await shot('02-token-prompt');
  await page.fill('#token', 'wrong-token');
  await page.click('#token-ok');
  await waitText('#token-text', /refused/i, 'the prompt after a wrong token');
  check(await page.isDisabled('#analyze'), 'Analyze should stay busy while the token is asked for');
  await shot('03-token-refused');
  await page.fill('#token', cfg.token);
  await page.keyboard.press('Enter');
  await idle();
  await waitText('#analysis-source', /sidecar/, 'Analyze with the right token');
  check(await text('#an-caption') === cfg.caption, 'the analysis caption should show as text');
  const stored = await page.evaluate(() => sessionStorage.getItem('photopub.api_token'));
  check(stored === cfg.token, 'the token should be kept in sessionStorage');
  await shot('04-analyzed-with-token', { at: '#an-caption' });
  ok('a refused token is asked again; the right one is kept and sent');

  step = 'login rate limit';
  await page.click('#logout');
  await page.locator('#login-form').waitFor({ state: 'visible', timeout: TIMEOUT });
  for (let i = 0; i < cfg.max_failures; i++) {
    await login('wrong-' + i);
    await waitText('#login-error', /wrong password/i, `wrong password #${i + 1}`);
  }
  await login('wrong-again');
  await waitText('#login-error', /too many failed attempts\. try again in \d+ seconds?/i, 'the rate limit');
  const secs = Number(/in (\d+) second/.exec(await text('#login-error'))[1]);
  check(secs > 0 && secs <= 60, `the wait should be 1–60 s, it says ${secs}`);
  check(await page.isDisabled('#login'), 'Log in should be disabled while waiting');
  await shot('05-rate-limited', { at: '#login-error' });
  ok('too many attempts: ' + await text('#login-error'));
}

// A server with admin not configured, so Analyze and Publish are open.
// broken: the only image is not decodable; failing: the outbox cannot write.
async function brokenScenario() {
  step = 'an undecodable image';
  await page.goto(cfg.base_url + '/', { waitUntil: 'domcontentloaded' });
  await waitText('#filename', /^broken\.jpg$/, 'the file name');
  await waitText('#stage-overlay', /could not be loaded/i, 'an image the browser cannot show');
  check(!(await visible('#admin-card')), 'no admin card when admin login is not configured');
  check(!(await page.isDisabled('#analyze')), 'Analyze should be enabled without admin configured');
  await page.click('#analyze');
  await idle();
  await waitText('#message', /^Analyze failed: .*not a decodable image/, 'Analyze of an undecodable image');
  await page.click('#publish');
  await idle();
  await waitText('#message', /^Publish failed: .*not a decodable image/, 'Publish of an undecodable image');
  check(!(await visible('#publish-result')), 'no results list for a publish that failed as a whole');
  await shot('01-errors');
  ok('errors are shown in words: ' + await text('#message-text'));
  await page.click('#message-close');
  check(!(await visible('#message')), 'Dismiss should hide the message');
}

async function failingScenario() {
  step = 'a failing platform';
  await page.goto(cfg.base_url + '/', { waitUntil: 'domcontentloaded' });
  await waitPhoto('on load');
  await page.click('#publish');
  await page.locator('#publish-result').waitFor({ state: 'visible', timeout: TIMEOUT });
  await idle();
  const row = page.locator('#results li[data-platform=outbox]');
  check(await row.getAttribute('class') === 'bad', 'the outbox result should be a failure');
  const why = ((await row.textContent()) || '').replace(/\s+/g, ' ');
  check(/outbox — failed/.test(why) && /Not a directory/.test(why), `the outbox error should be in words: ${why}`);
  await waitText('#publish-summary', /Not archived.*0 of 1/, 'the summary of a failed publish');
  check(!(await page.isDisabled('#publish')), 'Publish can be tried again when nothing was archived');
  await shot('02-platform-failed', { at: '#publish-result' });
  ok('a failed platform shows its error: ' + why);
}

// ---- the run -----------------------------------------------------------------

async function main() {
  fs.mkdirSync(cfg.artifacts, { recursive: true });
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`SKIP ${CHROMIUM} is not installed (scripts/deps test installs the chromium package)`);
    process.exit(77);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: VIEWPORT,
      deviceScaleFactor: DPR, isMobile: true, hasTouch: true, colorScheme: 'light',
      reducedMotion: 'reduce', timeout: 60000,
    });
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    console.log('SKIP chromium did not start: ' + String(e.message || e).split('\n')[0]);
    process.exit(77);
  }
  let code = 0;
  try {
    page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      // A 401/403/429 answer is logged by chromium as a failed resource: expected here.
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push('console: ' + m.text());
    });
    if (cfg.scenario === 'main') await mainScenario();
    else if (cfg.scenario === 'token') await tokenScenario();
    else if (cfg.scenario === 'errors') { await brokenScenario(); await page.goto('about:blank'); cfg.base_url = cfg.failing_url; await failingScenario(); }
    else throw new Failure('unknown scenario ' + cfg.scenario);
    step = 'console';
    check(problems.length === 0, 'errors in the page: ' + problems.join(' | '));
    console.log('RESULT ' + JSON.stringify(result));
  } catch (e) {
    code = 1;
    const why = e instanceof Failure ? e.message : (e.stack || String(e));
    console.log(`FAIL ${step}: ${why}`);
    if (problems.length) console.log('page problems: ' + problems.join(' | '));
    try { if (page) await shot('FAIL', { fullPage: true }); console.log('screenshot: ' + result.screenshots.at(-1)); } catch (e2) { /* none */ }
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(code);
}

main();
