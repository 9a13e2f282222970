// Browser test of photopub's web UI: Debian's chromium driven by
// playwright-core at a phone's viewport (390×844) and a desktop's
// (1280×800). Run by tests/e2e/test_ui.py, which starts `photopub serve` and
// hands over a JSON file: {scenario, base_url, admin_pw, token, artifacts,
// ...}. Scenarios (one function each, rows of SCENARIOS below): main (load,
// next, login, analyze, publish), token (markup shown as text, the
// bearer-token prompt, the login rate limit), errors (failures in words),
// layout (the phone fixes, the caption and alt fields, Publish disabled
// until a caption is on screen, the confirmation), edit (an edited caption
// and alt text published), grid (thumbnails, search, sort, review, a swipe
// undone), curate (swipe keep and remove for real), history, queue;
// report (the HTML file of `photopub report`, cfg.base_url a file:// URL:
// nothing wider than the phone, every failed-run link lands on its section).
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
const DESKTOP = { width: 1280, height: 800 };
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

// Clicks Publish, checks the confirmation lists the chosen platforms and the
// caption, and confirms.
async function publishConfirmed() {
  const chosen = await page.$$eval('#platforms input:checked', (bs) => bs.map((b) => b.value));
  const caption = await page.inputValue('#caption');
  await page.click('#publish');
  await page.locator('#confirm-dialog').waitFor({ state: 'visible', timeout: TIMEOUT });
  const listed = await page.$$eval('#confirm-platforms li', (ls) => ls.map((l) => l.textContent));
  check(JSON.stringify(listed) === JSON.stringify(chosen),
    `the confirmation should list ${JSON.stringify(chosen)}, it lists ${JSON.stringify(listed)}`);
  check(await text('#confirm-caption') === caption.trim() || (await page.locator('#confirm-caption').textContent()) === caption,
    'the confirmation should show the caption');
  await page.click('#confirm-ok');
  await page.locator('#confirm-dialog').waitFor({ state: 'hidden', timeout: TIMEOUT });
}

// A swipe of dx CSS pixels across the review card, as a finger does it
// (touch events through the DevTools protocol: chromium makes the pointer
// events the page listens to).
async function swipe(dx) {
  const cdp = await page.context().newCDPSession(page);
  const box = await page.locator('#review-card').boundingBox();
  const x = Math.round(box.x + box.width / 2), y = Math.round(box.y + box.height / 2);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  for (let i = 1; i <= 10; i++)
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: Math.round(x + (dx * i) / 10), y }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

// Waits for fn(arg) in the page, or fails at once when an error message shows.
async function waitOrMessage(fn, arg, why) {
  const deadline = Date.now() + TIMEOUT + (cfg.undo_ms || 0);
  for (;;) {
    if (await page.evaluate(fn, arg === undefined ? null : arg)) return;
    if (await page.evaluate(() => { const m = document.getElementById('message'); return !m.hidden && m.classList.contains('error'); }))
      throw new Failure(`${why}: the page says ${JSON.stringify(await text('#message-text'))}`);
    if (Date.now() > deadline) throw new Failure(why + ': timed out');
    await page.waitForTimeout(100);
  }
}

async function openView(name) {
  await page.click('#tab-' + name);
  await page.locator('#view-' + name).waitFor({ state: 'visible', timeout: TIMEOUT });
}

// No horizontal scrolling, and every button of the view inside the screen's width.
async function fitsWidth(why) {
  const r = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out = Array.from(document.querySelectorAll('button, a, input, textarea, select'))
      .filter((e) => e.offsetParent !== null)
      .map((e) => [e.id || e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])
      .filter(([, b]) => b.right > w + 0.5 || b.left < -0.5).map(([n]) => n);
    return { scrollW: document.documentElement.scrollWidth, w, out };
  });
  check(r.scrollW <= r.w, `${why}: the page scrolls sideways (scrollWidth ${r.scrollW} > ${r.w})`);
  check(r.out.length === 0, `${why}: controls outside the screen: ${JSON.stringify(r.out)}`);
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
  for (let i = 0; i < 14 && !reached; i++) {
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
  const caption = await page.inputValue('#caption');
  check(description.length > 10, `the description is missing: ${JSON.stringify(description)}`);
  check(caption.length > 0, 'the caption field should hold the analysis caption');
  check(await page.locator('#an-tags li').count() > 0, 'no tag chips');
  await waitText('#an-nsfw', /safe for work/i, 'the NSFW flag');
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
  await publishConfirmed();
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
  check(await page.inputValue('#caption') === cfg.caption, `the caption should show as text: ${JSON.stringify(await page.inputValue('#caption'))}`);
  check(await text('#sd-caption') === cfg.sd_caption, 'the sd_caption should show as text');
  await page.click('#meta summary');
  const meta = await page.$$eval('#meta-list dt, #meta-list dd', (es) => es.map((e) => e.textContent));
  for (const [k, v] of Object.entries(cfg.metadata))
    check(meta.includes(k) && meta.includes(v), `metadata ${JSON.stringify(k)}: ${JSON.stringify(v)} missing from ${JSON.stringify(meta)}`);
  const injected = await page.evaluate(() => ({
    flag: window.__pp_xss, imgs: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length, bold: document.querySelectorAll('b').length,
    handlers: document.querySelectorAll('[onerror], [onload]').length }));
  check(injected.flag === undefined && injected.imgs === 2 && injected.scripts === 1 && injected.bold === 0 &&
    injected.handlers === 0,
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
  check(await page.inputValue('#caption') === cfg.caption, 'the analysis caption should show as text');
  const stored = await page.evaluate(() => sessionStorage.getItem('photopub.api_token'));
  check(stored === cfg.token, 'the token should be kept in sessionStorage');
  await shot('04-analyzed-with-token', { at: '#caption' });
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
  check(await page.isDisabled('#publish'), 'Publish should be disabled without a caption');
  await page.fill('#caption', 'A caption typed by hand');
  await publishConfirmed();
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
  await page.fill('#caption', 'A caption typed by hand');
  await publishConfirmed();
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

// The phone fixes and the caption editor, at 390×844 and again at 1280×800. cfg.landscape: a landscape image's name
// (the only image); admin is not configured.
async function layoutScenario() {
  for (const vp of [VIEWPORT, DESKTOP]) {
    const tag = vp.width + 'x' + vp.height;
    step = 'layout ' + tag;
    await page.setViewportSize(vp);
    await page.goto(cfg.base_url + '/', { waitUntil: 'domcontentloaded' });
    const info = await waitPhoto('on load at ' + tag);
    check(info.filename === cfg.landscape, `the image should be ${cfg.landscape}, it is ${info.filename}`);
    const box = await page.evaluate(() => ({ stage: document.getElementById('stage').getBoundingClientRect().toJSON(),
      img: document.getElementById('photo').getBoundingClientRect().toJSON() }));
    const ratio = info.naturalHeight / info.naturalWidth;
    check(Math.abs(box.stage.height - box.img.height) <= 2,
      `${tag}: the landscape photo is boxed in a frame ${box.stage.height}px high for an image ${box.img.height}px high`);
    check(Math.abs(box.img.height - box.img.width * ratio) <= 3,
      `${tag}: the photo is ${box.img.width}×${box.img.height}, not in its own proportions (${ratio.toFixed(3)})`);
    const alt = await page.getAttribute('#photo', 'alt');
    check(alt && alt.length > 8 && alt !== info.filename && !/\.jpe?g$/i.test(alt), `${tag}: the photo's alt is not words: ${JSON.stringify(alt)}`);
    await fitsWidth(tag + ' photo view');
    for (const v of ['photo', 'grid', 'review', 'queue', 'history']) {
      const b = await page.locator('#tab-' + v).boundingBox();
      check(b && b.y + b.height <= vp.height && b.x + b.width <= vp.width, `${tag}: the ${v} tab is off the screen`);
    }
    ok(tag + ': the landscape photo takes its own height (' + Math.round(box.img.height) + 'px), alt ' + JSON.stringify(alt));

    step = 'caption field and Publish ' + tag;
    if (vp === VIEWPORT) check(await page.inputValue('#caption') === '', 'no caption yet for an image without a sidecar');
    else await page.fill('#caption', ''); /* the first pass's Analyze wrote a sidecar */
    check(await page.isDisabled('#publish'), `${tag}: Publish should be disabled while no caption is on screen`);
    await waitText('#publish-hint', /write a caption/i, 'why Publish is disabled');
    await page.click('#analyze');
    await idle();
    await waitText('#analysis-source', /AI/, 'the analysis');
    const caption = await page.inputValue('#caption');
    check(caption.length > 0, 'Analyze should fill the caption field');
    check(!(await page.isDisabled('#publish')), `${tag}: Publish should be enabled once a caption is on screen`);
    const once = await page.evaluate((c) => Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.checkVisibility({ checkVisibilityCSS: true }) && e.children.length === 0 && e.tagName !== 'TEXTAREA' &&
        (e.textContent || '').includes(c.slice(0, 40))).map((e) => e.id || e.className), caption);
    check(once.length === 0, `${tag}: the caption is shown again outside its field: ${JSON.stringify(once)}`);
    const order = await page.evaluate(() => {
      const y = (id) => document.getElementById(id).getBoundingClientRect().top + window.scrollY;
      return { caption: y('caption'), alt: y('alt-text'), publish: y('publish'), analysis: y('analysis-card'), sidecar: y('sidecar-card') };
    });
    if (vp.width < 900)
      check(order.caption < order.publish && order.publish < order.analysis && order.publish < order.sidecar,
        `${tag}: the caption field and Publish should come before the analysis: ${JSON.stringify(order)}`);
    check(order.publish - order.caption < vp.height, `${tag}: Publish is more than a screen below the caption field`);
    const chips = await page.$$eval('#an-tags li', (ls) => ls.map((l) => l.textContent));
    check(chips.length > 0 && chips.every((c) => !c.includes('_')), `tags should be words: ${JSON.stringify(chips)}`);
    const alt2 = await page.getAttribute('#photo', 'alt');
    const described = await page.evaluate(() => !document.getElementById('an-description').classList.contains('empty'));
    const altField = await page.inputValue('#alt-text');
    check(altField ? alt2 === altField : described ? alt2 === await text('#an-description') : /^Photo: \w/.test(alt2),
      `the alt should be the alt text, else the description, else the name in words: ${JSON.stringify(alt2)}`);
    ok(tag + ': one caption, in its field, then Publish; tags ' + JSON.stringify(chips.slice(0, 3)));

    step = 'counters and preview ' + tag;
    const typed = 'Edited by hand ' + tag + ' ' + 'x'.repeat(300);
    await page.fill('#caption', typed);
    await page.waitForFunction(() => document.querySelectorAll('#counters li').length > 0, null, { timeout: TIMEOUT });
    await page.waitForTimeout(400);
    const counters = await page.$$eval('#counters li', (ls) => ls.map((l) => ({ p: l.dataset.platform, t: l.textContent, over: l.classList.contains('over') })));
    check(JSON.stringify(counters.map((c) => c.p)) === JSON.stringify(cfg.platforms), `one counter per platform: ${JSON.stringify(counters)}`);
    const note = await text('#preview-note');
    if (/does not preview/.test(note)) {
      for (const c of counters) check(c.t.includes(typed.length + ' / '), `the counter should count ${typed.length}: ${c.t}`);
      const email = counters.find((c) => c.p === 'email');
      if (email) check(email.over, 'a caption over email\'s limit should be flagged');
      ok(tag + ': without a preview route the page says so: ' + note.slice(0, 70) + '…');
    } else {
      check(!note, `the preview failed: ${note}`);
      const email = counters.find((c) => c.p === 'email');
      if (email) check(email.over && /shortened/.test(email.t), `email should say the caption was shortened: ${email.t}`);
      ok(tag + ': the server preview gives ' + counters.map((c) => c.t).join(', '));
    }
    await page.click('#preview summary');
    const previews = await page.$$eval('#preview-list li', (ls) => ls.map((l) => l.dataset.platform));
    check(JSON.stringify(previews) === JSON.stringify(cfg.platforms), `a preview per platform: ${JSON.stringify(previews)}`);
    await shot('01-layout-' + tag, { fullPage: true });

    step = 'publish asks first ' + tag;
    await page.fill('#caption', '   ');
    check(await page.isDisabled('#publish'), 'a caption of blanks is no caption');
    await page.fill('#caption', 'Not published: cancelled');
    await page.click('#publish');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible', timeout: TIMEOUT });
    const listed = await page.$$eval('#confirm-platforms li', (ls) => ls.map((l) => l.textContent));
    check(JSON.stringify(listed) === JSON.stringify(cfg.platforms), `the confirmation lists ${JSON.stringify(listed)}`);
    check(await page.evaluate(() => document.activeElement.id) === 'confirm-cancel', 'Cancel should have the focus in the confirmation');
    await shot('02-confirm-' + tag);
    await page.click('#confirm-cancel');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden', timeout: TIMEOUT });
    check(!(await visible('#publish-result')), 'a cancelled publish publishes nothing');
    ok(tag + ': Publish asks for a confirmation listing ' + listed.join(', ') + '; Cancel does nothing');

    step = 'keyboard ' + tag;
    await page.focus('#caption');
    const seen = [];
    for (let i = 0; i < 6; i++) { await page.keyboard.press('Tab'); seen.push(await page.evaluate(() => document.activeElement.id)); }
    check(seen[0] === 'alt-text', `Tab from the caption should reach the alt text, went to ${seen[0]}`);
    check(seen.includes('publish'), `Tab from the caption should reach Publish: ${JSON.stringify(seen)}`);
    ok(tag + ': caption → alt text → … → Publish with Tab');
  }
}

// An edited caption and alt text published through the confirmation (the
// Python side checks what the outbox holds).
async function editScenario() {
  step = 'edit and publish';
  await page.goto(cfg.base_url + '/', { waitUntil: 'domcontentloaded' });
  const info = await waitPhoto('on load');
  await login(cfg.admin_pw);
  await page.locator('#admin-state').waitFor({ state: 'visible', timeout: TIMEOUT });
  await page.click('#analyze');
  await idle();
  await waitText('#analysis-source', /AI|sidecar/, 'the analysis');
  await page.fill('#caption', cfg.caption);
  await page.fill('#alt-text', cfg.alt_text);
  check(await page.getAttribute('#photo', 'alt') === cfg.alt_text, 'the photo\'s alt should follow the alt text field');
  await publishConfirmed();
  await page.locator('#publish-result').waitFor({ state: 'visible', timeout: TIMEOUT });
  await idle();
  const row = page.locator('#results li[data-platform=outbox]');
  check(await row.getAttribute('class') === 'ok', 'the outbox should have published');
  const m = /post id (\S+)/.exec(await row.textContent());
  result.published = { filename: info.filename, post_id: m && m[1] };
  await shot('01-edited-published', { at: '#publish-result' });
  ok('the edited caption was published on ' + info.filename);
}

// Thumbnails, search, sort and a review swipe undone.
async function gridScenario() {
  step = 'grid';
  await page.goto(cfg.base_url + '/?undo_ms=' + cfg.undo_ms + '#grid', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction((n) => document.querySelectorAll('#grid img').length === n, cfg.images.length, { timeout: TIMEOUT });
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#grid img')).every((i) => i.complete && i.naturalWidth > 0), null, { timeout: TIMEOUT });
  const names = await page.$$eval('#grid button', (bs) => bs.map((b) => b.dataset.filename));
  check(JSON.stringify(names) === JSON.stringify(cfg.images), `the grid shows ${JSON.stringify(names)}, want ${JSON.stringify(cfg.images)}`);
  const srcs = await page.$$eval('#grid img', (is) => is.map((i) => [i.currentSrc, i.alt, i.naturalWidth, i.naturalHeight]));
  for (const [src, alt, w, h] of srcs) {
    check(/\/thumbnail\?size=w256h256$/.test(src), `a grid image should be a thumbnail: ${src}`);
    check(alt.startsWith('Photo: ') && !alt.includes('.jpg'), `a thumbnail's alt should be words: ${alt}`);
    check(w <= 256 && h <= 256, `a w256h256 thumbnail is ${w}×${h}`);
  }
  await waitText('#grid-count', new RegExp('Showing ' + cfg.images.length + ' of ' + cfg.images.length), 'the count');
  await fitsWidth('390 grid');
  await shot('01-grid', { fullPage: true });
  ok('the grid shows a thumbnail of each of the ' + names.length + ' images');

  step = 'search and sort';
  await page.fill('#grid-q', cfg.search.toUpperCase());
  await page.waitForFunction((n) => document.querySelectorAll('#grid button').length === n, cfg.search_hits.length, { timeout: TIMEOUT });
  check(JSON.stringify(await page.$$eval('#grid button', (bs) => bs.map((b) => b.dataset.filename))) === JSON.stringify(cfg.search_hits), 'search results');
  await page.fill('#grid-q', '');
  await page.selectOption('#grid-order', 'desc');
  await page.waitForFunction((first) => { const b = document.querySelector('#grid button'); return b && b.dataset.filename === first; },
    cfg.images[cfg.images.length - 1], { timeout: TIMEOUT });
  await page.selectOption('#grid-order', 'asc');
  await page.waitForFunction((first) => { const b = document.querySelector('#grid button'); return b && b.dataset.filename === first; },
    cfg.images[0], { timeout: TIMEOUT });
  ok('search (case-insensitive) and order change the grid');

  step = 'review and undo';
  await page.click(`#grid button[data-filename="${cfg.images[1]}"]`);
  await page.locator('#view-review').waitFor({ state: 'visible', timeout: TIMEOUT });
  await waitText('#review-name', new RegExp('^' + cfg.images[1].replace(/[.]/g, '\\.') + '$'), 'the image picked in the grid');
  await page.waitForFunction(() => { const i = document.getElementById('review-photo'); return i.complete && i.naturalWidth > 0; }, null, { timeout: TIMEOUT });
  check(/size=w1024h768$/.test(await page.getAttribute('#review-photo', 'src')), 'the review shows the large thumbnail');
  await waitText('#review-pos', new RegExp('^2 of ' + cfg.images.length + '$'), 'the position');
  await fitsWidth('390 review');
  await shot('02-review');
  await swipe(260);
  await waitText('#review-toast-text', /^Kept /, 'a swipe right');
  await waitText('#review-name', new RegExp('^' + cfg.images[2].replace(/[.]/g, '\\.') + '$'), 'the next image after a swipe');
  check(!(await page.isDisabled('#review-undo')), 'Undo should be offered');
  await shot('03-swiped');
  await page.click('#review-undo');
  await waitText('#review-toast-text', /^Undone/, 'Undo');
  await waitText('#review-name', new RegExp('^' + cfg.images[1].replace(/[.]/g, '\\.') + '$'), 'the image back after Undo');
  await page.waitForTimeout(cfg.undo_ms + 300);
  check(await page.isDisabled('#review-undo'), 'nothing left to undo');
  await swipe(40);
  check(await text('#review-name') === cfg.images[1], 'a short swipe is no choice');
  ok('a swipe right is held for ' + cfg.undo_ms + ' ms and Undo puts the image back; a short swipe does nothing');
}

// Swipe right keeps, left removes, and a button and a key do the same;
// the Python side checks where the files went.
async function curateScenario() {
  step = 'curate';
  await page.goto(cfg.base_url + '/?undo_ms=' + cfg.undo_ms + '#review', { waitUntil: 'domcontentloaded' });
  if (cfg.admin_pw) {
    await login(cfg.admin_pw);
    await page.locator('#admin-state').waitFor({ state: 'visible', timeout: TIMEOUT });
  }
  await waitText('#review-name', new RegExp('^' + cfg.images[0].replace(/[.]/g, '\\.') + '$'), 'the first image');
  result.curated = [];
  for (const [how, want] of [['swipe right', 'keep'], ['swipe left', 'remove'], ['button', 'keep'], ['key', 'remove']]) {
    const name = await text('#review-name');
    if (how === 'swipe right') await swipe(280);
    else if (how === 'swipe left') await swipe(-280);
    else if (how === 'button') await page.click(want === 'keep' ? '#review-keep' : '#review-remove');
    else { await page.focus('#review-card').catch(() => {}); await page.keyboard.press(want === 'keep' ? 'ArrowRight' : 'ArrowLeft'); }
    await waitOrMessage((n) => document.getElementById('review-toast').dataset.done === n, name, how + ' of ' + name);
    const dest = await page.getAttribute('#review-toast', 'data-destination');
    check(!(await visible('#message')), 'no error: ' + await text('#message').catch(() => ''));
    result.curated.push({ filename: name, action: want, destination_folder: dest });
    ok(how + ': ' + name + ' → ' + want + ' (' + dest + ')');
  }
  await page.setViewportSize(DESKTOP);
  await fitsWidth('1280 review');
  await shot('01-curated-desktop');
}

// What History shows: cfg.posted (the Python side posted it before).
async function historyScenario() {
  for (const vp of [VIEWPORT, DESKTOP]) {
    step = 'history ' + vp.width;
    await page.setViewportSize(vp);
    await page.goto(cfg.base_url + '/#history', { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => !document.getElementById('admin-pill').hidden, null, { timeout: TIMEOUT }).catch(() => {});
    if (cfg.admin_pw && await visible('#login-form')) {
      await login(cfg.admin_pw);
      await page.locator('#admin-state').waitFor({ state: 'visible', timeout: TIMEOUT });
    }
    await waitOrMessage((n) => !!document.querySelector(`#history li[data-image="${n}"]`), cfg.posted, 'History should show ' + cfg.posted);
    const row = page.locator(`#history li[data-image="${cfg.posted}"]`).first();
    check(await row.getAttribute('data-platform') === 'outbox' && await row.getAttribute('data-success') === 'true', 'an outbox post that succeeded');
    check(/post id|open the post/.test(await row.textContent()), 'the post id or link');
    check(!(await visible('#message')), 'no error left on screen once the history is shown: ' +
      (await page.locator('#message-text').textContent()));
    await fitsWidth(vp.width + ' history');
    await shot('01-history-' + vp.width);
    ok(vp.width + ': History shows ' + ((await row.textContent()) || '').replace(/\s+/g, ' '));
  }
}

// A run whose telegram failed (the Python side ran it): History marks it
// partly published with a Retry button; clicking it sends it again.
async function retryScenario() {
  step = 'retry';
  await page.goto(cfg.base_url + '/#history', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => !document.getElementById('admin-pill').hidden, null, { timeout: TIMEOUT }).catch(() => {});
  if (cfg.admin_pw && await visible('#login-form')) {
    await login(cfg.admin_pw);
    await page.locator('#admin-state').waitFor({ state: 'visible', timeout: TIMEOUT });
  }
  const failed = `#history li[data-platform="telegram"][data-success="false"]`;
  await waitOrMessage((sel) => !!document.querySelector(sel), failed, 'History should show the failed telegram post');
  const row = page.locator(failed).first();
  check(await row.getAttribute('data-partial') === 'true', 'the run is marked partial');
  check(/partly published/.test(await row.textContent()), 'the row says partly published');
  check(await page.locator('#history button.retry').count() === 1, 'one Retry button for the run');
  await fitsWidth('390 history with retry');
  await shot('01-history-partial');
  await row.locator('button.retry').click();
  await waitOrMessage(() => !!document.querySelector('#history li[data-platform="telegram"][data-success="true"]'), null,
    'the retried telegram post in the history');
  check(/Retried .*telegram published/.test(await text('#message-text')), 'the retry said what it did: ' + await text('#message-text'));
  check(await page.locator('#history button.retry').count() === 0, 'nothing left to retry');
  check(await page.locator('#history li[data-partial="true"]').count() === 0, 'no longer partial');
  await shot('02-history-retried');
  ok('Retry sent the run again: ' + await text('#message-text'));
}

// The queue as shown; the Python side runs `photopub run` next.
async function queueScenario() {
  step = 'queue';
  await page.goto(cfg.base_url + '/#queue', { waitUntil: 'domcontentloaded' });
  await waitOrMessage(() => document.querySelectorAll('#queue li').length > 0, null, 'the queue');
  result.queue = await page.$$eval('#queue li', (ls) => ls.map((l) => l.dataset.filename));
  await fitsWidth('390 queue');
  await shot('01-queue', { fullPage: true });
  ok('the queue shows ' + result.queue.join(', '));
}

async function reportScenario() {
  step = 'report: load';
  await page.goto(cfg.base_url);
  await page.locator('h1').waitFor();
  step = 'report: width';
  const w = await page.evaluate(() => ({ scrollW: document.documentElement.scrollWidth,
    inner: window.innerWidth }));
  check(w.inner === VIEWPORT.width, `the viewport is ${w.inner} px wide, not ${VIEWPORT.width}`);
  check(w.scrollW <= VIEWPORT.width, `the report scrolls sideways: scrollWidth ${w.scrollW} > ${VIEWPORT.width}`);
  await fitsWidth('report');
  ok('no horizontal overflow at 390 px');
  step = 'report: links';
  const links = await page.evaluate(() => Array.from(document.querySelectorAll('a[href^="#run-"]'))
    .map((a) => ({ href: a.getAttribute('href'),
      found: !!document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1))) })));
  check(links.length >= (cfg.failed_runs || 1), `${links.length} links to failed runs, expected at least ${cfg.failed_runs}`);
  const broken = links.filter((l) => !l.found).map((l) => l.href);
  check(broken.length === 0, 'links to no element: ' + broken.join(', '));
  result.run_links = links.map((l) => l.href);
  ok(`${links.length} failed-run links resolve`);
  step = 'report: follow';
  const first = links[0].href;
  await page.locator(`a[href="${first}"]`).first().click();
  await page.waitForFunction((h) => location.hash === h, first);
  const box = await page.evaluate((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return { top: r.top, h: window.innerHeight };
  }, first.slice(1));
  check(box.top >= -1 && box.top < box.h, `the run's section is not on screen after the click (top ${box.top})`);
  await shot('phone-run');
  ok('a failed-run link scrolls to its section');
  await page.goto(cfg.base_url);
  await shot('phone', { fullPage: true });
}

const SCENARIOS = {
  main: [mainScenario],
  token: [tokenScenario],
  errors: [brokenScenario, async () => { await page.goto('about:blank'); cfg.base_url = cfg.failing_url; }, failingScenario],
  layout: [layoutScenario],
  edit: [editScenario],
  grid: [gridScenario],
  curate: [curateScenario],
  history: [historyScenario],
  retry: [retryScenario],
  queue: [queueScenario],
  report: [reportScenario],
};

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
    if (!SCENARIOS[cfg.scenario]) throw new Failure('unknown scenario ' + cfg.scenario);
    for (const run of SCENARIOS[cfg.scenario]) await run();
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
