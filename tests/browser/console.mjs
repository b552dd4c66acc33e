// The web console in a real browser: headless Debian chromium driven by
// puppeteer-core against the otad that tests/e2e/console.sh started.
// Prints "ok - ..." / "not ok - ..." lines; exits 1 if any failed.
// Environment: URL, ADMIN, VIEWER (tokens), GOOD (a running campaign at
// its first stage), BAD (a halted one), DRAFT (a draft), SHOTS (where the
// screenshots and chromium's pid go; its profile/ is the throwaway
// --user-data-dir).
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (k) => {
  if (!process.env[k]) throw new Error('console.mjs: ' + k + ' is not set');
  return process.env[k];
};
const URL = env('URL'), ADMIN = env('ADMIN'), VIEWER = env('VIEWER');
const GOOD = env('GOOD'), BAD = env('BAD'), DRAFT = env('DRAFT');
const SHOTS = env('SHOTS');
// Generous: the machine is shared and loaded.
const T = Number(process.env.CONSOLE_TIMEOUT_MS || 60000);

let failures = 0;
function ok(name) { console.log('ok - ' + name); }
function notOk(name, why) {
  failures++;
  console.log('not ok - ' + name + (why ? ': ' + String(why).split('\n')[0] : ''));
}
function expect(name, got, want) {
  if (got === want) ok(name);
  else notOk(name, 'got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}
let page = null;
let failShots = 0;
async function step(name, fn) {
  try {
    await fn();
    ok(name);
  } catch (e) {
    notOk(name, e && e.message);
    // What the page showed, for whoever reads the log.
    if (page) {
      const f = path.join(SHOTS, 'fail-' + (++failShots) + '.png');
      await page.screenshot({ path: f, fullPage: true }).catch(() => {});
      const t = await page.evaluate(() => document.body.innerText).catch(() => '?');
      console.log('# page (' + f + '): ' + t.replace(/\s+/g, ' ').slice(0, 400));
    }
  }
}

async function apiGet(p, token = ADMIN) {
  const r = await fetch(URL + '/v1/' + p, { headers: { Authorization: 'Bearer ' + token } });
  if (!r.ok) throw new Error('GET ' + p + ': ' + r.status);
  return r.json();
}

const consoleErrors = [];
const pageErrors = [];
const badResponses = [];
let expectErrors = false;	// the bad-token check at the end makes a 401

const profile = path.join(SHOTS, 'profile');
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--user-data-dir=' + profile, '--disable-gpu',
    '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--metrics-recording-only',
    '--disable-breakpad', '--disable-crash-reporter', '--window-size=1280,900'],
  defaultViewport: { width: 1280, height: 900 },
  protocolTimeout: 4 * T,
});
fs.writeFileSync(path.join(SHOTS, 'chromium.pid'), String(browser.process().pid));

async function main() {
  page = await browser.newPage();
  page.setDefaultTimeout(T);
  await page.evaluateOnNewDocument(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
    });
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !expectErrors) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400 && !expectErrors) badResponses.push(r.status() + ' ' + r.url());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(URL) && !r.url().startsWith('data:'))
      badResponses.push('external request ' + r.url());
  });
  const shot = async (name) => {
    const f = path.join(SHOTS, name + '.png');
    await page.screenshot({ path: f, fullPage: true });
  };
  const text = (sel) => page.$eval(sel, (e) => e.textContent);
  const go = async (hash, sel) => {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForSelector(sel, { visible: true });
  };
  // Waits for the page's h1 state badge to read want.
  const h1State = (want) => page.waitForFunction((w) => {
    const b = document.querySelector('h1 .badge');
    return b && b.textContent === w;
  }, { timeout: T }, want);

  // ---- sign in ----
  await step('/ui opens the sign-in form', async () => {
    const r = await page.goto(URL + '/ui', { waitUntil: 'load' });
    if (!r.url().endsWith('/ui/')) throw new Error('landed on ' + r.url());
    await page.waitForSelector('#token', { visible: true });
  });
  await shot('signin');
  await step('an admin token signs in', async () => {
    await page.type('#token', ADMIN);
    await page.click('#signin');
    await page.waitForSelector('#campaigns tr[data-id]', { visible: true });
    const who = await text('#who');
    if (!who.includes('admin')) throw new Error('shown as ' + who);
  });
  await step('the token is in sessionStorage only', async () => {
    const s = await page.evaluate(() => ({ ss: sessionStorage.getItem('otad.token'),
      ls: localStorage.length, cookie: document.cookie, url: location.href }));
    if (s.ss !== ADMIN) throw new Error('not in sessionStorage');
    if (s.ls !== 0 || s.cookie !== '' || s.url.includes(ADMIN)) throw new Error('leaked: ' + JSON.stringify(s));
  });

  // ---- the campaigns list ----
  await step('the list shows the halted campaign with its reason', async () => {
    const row = '#campaigns tr[data-id="' + BAD + '"]';
    await page.waitForSelector(row + '[data-state="halted"]');
    // The server's reason, as the list shows it (read again until they
    // agree: the gate may have moved on between the two reads).
    const end = Date.now() + T;
    for (;;) {
      const want = (await apiGet('campaigns/' + BAD)).verdict.reason;
      const got = await text(row + ' .verdict .reason');
      if (got === want && /halting/.test(got)) break;
      if (Date.now() > end) throw new Error('shown ' + got + ', server ' + want);
      await page.waitForFunction((sel, g) => document.querySelector(sel).textContent !== g,
        { timeout: 5000 }, row + ' .verdict .reason', got).catch(() => {});
    }
    const rate = await text(row + ' .rate');
    if (!rate.includes('allowed')) throw new Error('no failure rate against the limit: ' + rate);
  });
  await step('per-stage bars stacked by device state', async () => {
    const n = await page.$$eval('#campaigns tr[data-id="' + GOOD + '"] .stagebars .bar', (b) => b.length);
    expect('one bar per stage', n, 4);
    const segs = await page.$$eval('#campaigns tr[data-id="' + BAD + '"] .bar span', (s) => s.map((x) => x.className));
    if (!segs.some((c) => c === 'seg-failed' || c === 'seg-rolled_back')) throw new Error('no failure segment: ' + segs);
  });
  await step('the list refreshes by itself', async () => {
    // Mark the table; a refresh replaces its rows.
    await page.$eval('#campaigns tr[data-id]', (r) => r.setAttribute('data-old', '1'));
    await page.waitForFunction(() => !document.querySelector('#campaigns tr[data-old]'), { timeout: T });
  });
  await shot('campaigns');

  // ---- the halted campaign ----
  await step('the halted campaign page: its halt event with the reason', async () => {
    await go('#/campaigns/' + BAD, '#events li[data-kind="halted"]');
    const t = await text('#events li[data-kind="halted"] .reason');
    if (!t.includes('stage 1')) throw new Error('event text ' + t);
    await h1State('halted');
  });
  await shot('campaign-halted');

  // ---- pause and resume the running one ----
  await step('the running campaign page with its actions', async () => {
    await go('#/campaigns/' + GOOD, '#act-pause');
    await h1State('running');
  });
  await step('pause asks first; cancel changes nothing', async () => {
    await page.click('#act-pause');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-no');
    await page.waitForSelector('#confirm:not([open])');
    const c = await apiGet('campaigns/' + GOOD);
    if (c.state !== 'running') throw new Error('state ' + c.state);
  });
  await step('pause, confirmed', async () => {
    await page.click('#act-pause');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-yes');
    await h1State('paused');
    await page.waitForSelector('#act-resume');
    const c = await apiGet('campaigns/' + GOOD);
    if (c.state !== 'paused') throw new Error('server says ' + c.state);
    await page.waitForSelector('#events li[data-kind="paused"]');
  });
  await shot('campaign-paused');
  await step('resume, confirmed', async () => {
    await page.click('#act-resume');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-yes');
    await h1State('running');
    const c = await apiGet('campaigns/' + GOOD);
    if (c.state !== 'running') throw new Error('server says ' + c.state);
  });

  // ---- the 1% stage's members ----
  await step("the 1% stage's members, as the server lists them", async () => {
    await page.select('#m-stage', '1');
    await page.waitForFunction(() => location.hash.includes('stage=1'), { timeout: T });
    await page.waitForSelector('#members tr[data-device]');
    const shown = await page.$$eval('#members tr[data-device]', (r) => r.map((x) => x.dataset.device));
    const want = (await apiGet('campaigns/' + GOOD + '/devices?stage=1&limit=25')).devices.map((d) => d.device_id);
    if (want.length === 0) throw new Error('the server has no stage-1 members');
    if (JSON.stringify(shown) !== JSON.stringify(want)) throw new Error('shown ' + shown + ', server ' + want);
    const stages = await page.$$eval('#members tr[data-device] td:nth-child(2)', (t) => t.map((x) => x.textContent));
    if (stages.some((s) => s !== '1')) throw new Error('stages ' + stages);
  });
  await shot('members-stage1');
  await step('a member links to its device page with history and health', async () => {
    const id = await page.$eval('#members tr[data-device]', (r) => r.dataset.device);
    await page.click('#members tr[data-device] a');
    await page.waitForSelector('#history tr.provisioned');
    const h = await text('h1');
    if (!h.includes(id)) throw new Error('h1 ' + h);
    await page.waitForSelector('#memberships tr td a');
  });
  await shot('device');

  // ---- the draft's plan, devices, releases, audit ----
  await step("a draft shows its plan", async () => {
    await go('#/campaigns/' + DRAFT, '#plan tr td');
    const n = await page.$$eval('#plan tr', (r) => r.length);
    expect('three stages planned', n - 1, 3);
    await page.waitForSelector('#act-start');
  });
  await step('devices: a filter goes to the server, one page at a time', async () => {
    await go('#/devices?hw_class=board-b', '#devices tr[data-device]');
    const rows = await page.$$eval('#devices tr[data-device] td:nth-child(2)', (t) => t.map((x) => x.textContent));
    if (rows.length !== 25 || rows.some((h) => h !== 'board-b')) throw new Error(rows.length + ' rows: ' + rows.slice(0, 3));
    await page.click('.pager .next');
    await page.waitForFunction(() => location.hash.includes('after='), { timeout: T });
    await page.waitForSelector('.pager .prev:not([disabled])');
  });
  await shot('devices');
  await step('releases: signatures on demand, revoke for a release manager', async () => {
    await go('#/releases', '#releases tr[data-id]');
    await page.click('#releases tr[data-id] .signers button');
    await page.waitForFunction(() => document.querySelector('#releases tr[data-id] .signers div'), { timeout: T });
    await page.waitForSelector('#releases button.revoke');
  });
  await shot('releases');
  await step('audit: the pause and resume are recorded, by admin', async () => {
    await go('#/audit?object=campaign:' + GOOD, '#audit tr td');
    const acts = await page.$$eval('#audit tr td:nth-child(5)', (t) => t.map((x) => x.textContent));
    if (!acts.includes('pause') || !acts.includes('resume')) throw new Error('actions ' + acts);
  });
  await shot('audit');

  // ---- a viewer ----
  await step('sign out', async () => {
    await page.click('#signout');
    await page.waitForSelector('#token', { visible: true });
    const t = await page.evaluate(() => sessionStorage.getItem('otad.token'));
    if (t !== null) throw new Error('token kept');
  });
  await step('a viewer token signs in', async () => {
    await page.type('#token', VIEWER);
    await page.click('#signin');
    // The page signed out on stays: the audit trail, not for a viewer.
    await page.waitForFunction(() => document.querySelector('#who').textContent.includes('viewer'), { timeout: T });
    await page.waitForFunction(() => document.querySelector('main').textContent.includes('for admin tokens'), { timeout: T });
    await go('#/campaigns', '#campaigns tr[data-id]');
  });
  await step('a viewer sees no action buttons', async () => {
    await go('#/campaigns/' + GOOD, '#stages');
    await h1State('running');
    await page.waitForSelector('#members');
    const acts = await page.$$('#actions, #actions button, [id^="act-"]');
    if (acts.length) throw new Error(acts.length + ' action elements');
    await go('#/releases', '#releases tr[data-id]');
    if ((await page.$$('button.revoke')).length) throw new Error('a revoke button');
    const audit = await page.$eval('#nav-audit', (a) => a.hidden);
    if (!audit) throw new Error('the audit link is shown');
  });
  await shot('viewer');

  // ---- no errors, no CSP violations ----
  const csp = await page.evaluate(() => window.__csp);
  expect('no CSP violations', JSON.stringify(csp), '[]');
  expect('no console errors', JSON.stringify(consoleErrors), '[]');
  expect('no page errors', JSON.stringify(pageErrors), '[]');
  expect('no failed or external requests', JSON.stringify(badResponses), '[]');
  // The detectors can fail: an inline style is refused and seen.
  await step('the CSP refuses an inline style, and the check sees it', async () => {
    expectErrors = true;
    await page.evaluate(() => {
      const s = document.createElement('style');
      s.textContent = 'body { color: red }';
      document.head.append(s);
    });
    await page.waitForFunction(() => window.__csp.length > 0, { timeout: T });
  });
  await step('a bad token is refused with the reason', async () => {
    await page.click('#signout');
    await page.waitForSelector('#token', { visible: true });
    await page.type('#token', 'adm_not-a-token');
    await page.click('#signin');
    await page.waitForFunction(() => document.querySelector('#signin-error').textContent.includes('unknown'), { timeout: T });
  });
}

try {
  await main();
} catch (e) {
  notOk('the browser run', e && e.stack);
} finally {
  await browser.close().catch(() => {});
  fs.rmSync(path.join(SHOTS, 'chromium.pid'), { force: true });
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log('# browser checks done: ' + failures + ' failed; screenshots in ' + SHOTS);
process.exit(failures ? 1 : 0);
