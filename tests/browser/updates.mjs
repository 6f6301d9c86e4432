// updates.mjs: the reader's Updates page against a real relais-hub: the learner checks for
// updates, the course published on the hub arrives and shows as New (and Required) in the
// library, then as Updated once a second version is published and fetched; axe on the page.
//
// Environment as run.mjs (RELAIS, RELAIS_SOURCE_ROOT, CHROMIUM, KEEP=1), and RELAIS_HUB
// (default ../../build/cli/relais-hub from this file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RELAIS, HUB, SOURCE_ROOT, CHROMIUM, AXE, LAUNCH, READER_ADDRESS, HUB_ADDRESS, say, startServer, stop } from './lib.mjs';

const LIMIT = 180000;
const COURSE = 'migration-health';
const ME = { name: 'Aïcha Diallo', email: 'aicha@example.org', org: 'MAE' };

let tmp; // keys, bundles, the hub's database, the laptop's home
let home;
let src; // the course's source, edited for version 2
let hubDb;
let hub; // { proc, url, exited }
let reader; // { proc, url, origin, exited }
let browser;
let context; // one browser tab's session for every test: the launch address is good once
let page;
let title; // the course's title

function run(program, args, env = {}) {
  return execFileSync(program, args, { cwd: tmp, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const relais = (...args) => run(RELAIS, args, { RELAIS_HOME: home });
const relaisHub = (...args) => run(HUB, [...args, '--db', hubDb]);

/* Packs the course at version (editing its first lesson from version 2 on) and publishes it. */
function publish(version) {
  const meta = JSON.parse(fs.readFileSync(path.join(src, 'course.json'), 'utf8'));
  meta.version = version;
  fs.writeFileSync(path.join(src, 'course.json'), JSON.stringify(meta));
  if (version > 1) {
    const lesson = meta.units.find((u) => u.lesson).lesson;
    fs.appendFileSync(path.join(src, lesson), `\n\nCorrection published in version ${version}.\n`);
  }
  const out = path.join(tmp, `mh-${version}.relais`);
  relais('pack', src, '--secret-key', 'ministry.key', '-o', out);
  relaisHub('publish', out, '--org', 'MAE', '--required', '--due', '2020-01-31');
  title = meta.title;
}

/* Clicks a submit button; waits for the page the POST leads to. */
async function submitForm(page, button) {
  const [resp] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), button.click()]);
  assert.ok(resp.status() < 400, `POST answered ${resp.status()}`);
  await page.waitForLoadState('load');
}

const mainText = async (page) => (await page.locator('main').innerText()).replace(/\s+/g, ' ');

/*
 * Clicks "Check for updates" and waits, without reloading the page itself,
 * until the page says the check ended: while the sync runs the page reloads
 * itself (a meta refresh, no script), so this passes only if it does.
 */
async function checkForUpdates(page) {
  const seen = [];
  const onResponse = async (r) => {
    if (new URL(r.url()).pathname === '/updates' && r.request().method() === 'GET') {
      seen.push(await r.text().catch(() => ''));
    }
  };
  page.on('response', onResponse);
  await submitForm(page, page.getByRole('button', { name: 'Check for updates', exact: true }));
  const deadline = Date.now() + 60000;
  let text = '';
  while (Date.now() < deadline) {
    text = await mainText(page).catch(() => '');
    if (/Updates checked\.|failed/.test(text)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  page.off('response', onResponse);
  assert.match(text, /Updates checked\./, `the check did not end well: ${text}`);
  assert.equal(await page.locator('p.banner[role="alert"]').count(), 0);
  const running = seen.filter((b) => b.includes('http-equiv="refresh"'));
  say(`check ended; ${seen.length} Updates page(s) served, ${running.length} while running (meta refresh)` +
    (seen.some((b) => /Downloading .*%/.test(b)) ? ', a progress line shown' : ''));
  return running;
}

/* The library card of the course: its marks' text. */
async function marks(page) {
  await page.goto(`${reader.origin}/`);
  const card = page.locator('li.card', { has: page.getByRole('link', { name: title, exact: true }) });
  assert.equal(await card.count(), 1, 'the course has a card in the library');
  const m = card.locator('p.marks');
  return (await m.count()) ? (await m.innerText()).replace(/\s+/g, ' ').trim() : '';
}

before(async () => {
  assert.ok(fs.existsSync(RELAIS), `no relais program at ${RELAIS}: build first`);
  assert.ok(fs.existsSync(HUB), `no relais-hub program at ${HUB}: build first`);
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-updates-'));
  home = path.join(tmp, 'home');
  hubDb = path.join(tmp, 'hub.db');
  src = path.join(tmp, 'src');
  fs.cpSync(path.join(SOURCE_ROOT, 'courses', COURSE), src, { recursive: true });
  relais('keygen', '--public-key', 'ministry.pub', '--secret-key', 'ministry.key', '--no-password');
  fs.writeFileSync(path.join(tmp, 'hub.pub'), relaisHub('keygen'));
  relaisHub('publisher', 'add', 'ministry.pub', '--name', 'Ministry');
  const cred = relaisHub('credentials', 'add', '--name', 'laptop');
  const key = /^key:\s*([0-9a-f]+)$/m.exec(cred)[1];
  const secret = /^secret:\s*([0-9a-f]+)$/m.exec(cred)[1];
  hub = await startServer(HUB, ['serve', '--db', hubDb, '--listen', '127.0.0.1:0'], {}, HUB_ADDRESS);
  // The laptop as its coordinator sets it up: the publisher and the hub trusted, one sync.
  relais('trust', 'add', 'ministry.pub');
  relais('profile', 'add', '--name', ME.name, '--email', ME.email, '--org', ME.org);
  relais('sync', '--hub', hub.origin, '--key', key, '--secret', secret, '--hub-key', 'hub.pub');
  reader = await startServer(RELAIS, ['read', '--no-browser', '--port', '0'], { RELAIS_HOME: home }, READER_ADDRESS);
  browser = await chromium.launch(LAUNCH);
  context = await browser.newContext({ bypassCSP: true }); // for axe only: the reader's CSP stays on otherwise
  context.setDefaultTimeout(15000);
  page = await context.newPage();
  await page.goto(reader.url);
  await submitForm(page, page.getByRole('button', { name: `${ME.name} (${ME.org})`, exact: true }));
  assert.equal(new URL(page.url()).pathname, '/');
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stop(reader);
  await stop(hub);
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`# kept ${tmp}`);
});

test('the learner checks for updates: a published course arrives New and Required, then Updated', { timeout: LIMIT }, async () => {
  // Nothing published yet: the page says what it knows, and offers the check.
  await page.getByRole('link', { name: 'Updates', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/updates');
  assert.equal((await page.locator('h1').innerText()).trim(), 'Updates');
  assert.match(await mainText(page), /Catalogue \d+, last received \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d UTC\./);
  assert.match(await mainText(page), /The catalogue offers no course\./);
  say('Updates before anything is published: catalogue received, no course offered');

  publish(1);
  await checkForUpdates(page);
  const row = page.locator('tbody tr', { hasText: title });
  assert.equal(await row.count(), 1, 'the catalogue\'s course is listed');
  const cells = (await row.locator('td').allInnerTexts()).map((s) => s.trim());
  assert.equal(cells[1], 'Required — due 31 January 2020');
  assert.equal(cells[2], '1');
  assert.match(cells[3], /^\d+(\.\d)? (KB|MB)$/);
  assert.equal(cells[4], 'Installed');
  say(`Updates lists ${JSON.stringify(cells)}`);

  // The library: new to this learner, required for her organisation, and late.
  assert.equal(await marks(page), 'New Required — due 31 January 2020 (overdue)');
  assert.equal(await page.locator('li.card .mark.overdue').count(), 1, 'overdue is highlighted');
  say('library: New, Required — due 31 January 2020 (overdue)');

  // Opening the course: no longer new.
  await page.getByRole('link', { name: title, exact: true }).click();
  await page.waitForURL((u) => u.pathname === `/c/${COURSE}/`);
  assert.equal(await marks(page), 'Required — due 31 January 2020 (overdue)');
  say('opened once: the New mark is gone');

  // A second version published on the hub, fetched from the Updates page: Updated.
  publish(2);
  await page.goto(`${reader.origin}/updates`);
  assert.equal((await page.locator('tbody tr', { hasText: title }).locator('td').nth(4).innerText()).trim(), 'Installed');
  await checkForUpdates(page);
  const after2 = (await page.locator('tbody tr', { hasText: title }).locator('td').allInnerTexts()).map((s) => s.trim());
  assert.equal(after2[2], '2');
  assert.equal(after2[4], 'Installed');
  assert.equal(await marks(page), 'Updated Required — due 31 January 2020 (overdue)');
  say('version 2 fetched: library shows Updated');
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  assert.equal(await marks(page), 'Required — due 31 January 2020 (overdue)');

  // In French, the same page and marks.
  await page.goto(`${reader.origin}/updates?lang=fr`);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Mises à jour');
  assert.equal(await page.getByRole('button', { name: 'Rechercher des mises à jour', exact: true }).count(), 1);
  assert.match(await mainText(page), /Obligatoire — avant le 31 janvier 2020/);
  await page.goto(`${reader.origin}/updates?lang=en`);
  say('Updates in French: heading, button, required line');
});

test('a check that cannot reach the hub says so in one clear message', { timeout: LIMIT }, async () => {
  await stop(hub);
  await page.goto(`${reader.origin}/updates`);
  await submitForm(page, page.getByRole('button', { name: 'Check for updates', exact: true }));
  const alert = page.locator('p.banner[role="alert"]');
  await alert.waitFor({ timeout: 90000 });
  const text = (await alert.innerText()).trim();
  assert.match(text, /^Checking for updates failed: .+/);
  assert.equal(await alert.count(), 1);
  say(`hub stopped: "${text}"`);
});

test('axe-core: no violation on the Updates page and the marked library', { timeout: LIMIT }, async () => {
  const found = [];
  for (const [kind, where] of [['Updates', '/updates'], ['Mises à jour', '/updates?lang=fr'], ['library', '/?lang=en']]) {
    await page.goto(`${reader.origin}${where}`);
    await page.addScriptTag({ path: AXE });
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    say(`axe ${kind}: ${r.violations.length ? r.violations.map((v) => `${v.id}[${v.impact}]`).join(' ') : 'no violation'}`);
    found.push(...r.violations.map((v) => `${kind}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  }
  assert.deepEqual(found, []);
});
