// sessions.mjs: a course's live sessions in Chromium: shown on the library and the outline on
// the laptop's clock (the reader runs with TZ set, far from the session's own zone), with the
// units to finish before, and "Add to calendar" downloading an RFC 5545 .ics file.
//
// Environment as run.mjs (RELAIS, RELAIS_SOURCE_ROOT, CHROMIUM, KEEP=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { relais, homeWithSessions, startReader, stopReader, LAUNCH } from './readerproc.mjs';

const COURSE = 'migration-health';
const SESSION = {
  id: 'kickoff', title: 'Kick-off workshop', start: '2031-03-10T09:00', end: '2031-03-10T12:30',
  timezone: 'Africa/Dakar', place: 'Room 4, ENA Dakar', trainer: 'Awa Ndiaye', before: ['ihr-framework'],
};

let tmp;
let home;
let reader;
let browser;
let page;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-sessions-'));
  home = homeWithSessions(tmp, COURSE, [SESSION]);
  relais(home, 'profile', 'add', '--name', 'Ana Souza', '--email', 'ana@example.org');
  // The learner's laptop is in São Paulo (UTC-3): 09:00 in Dakar (UTC) is 06:00 there.
  reader = await startReader(home, { TZ: 'America/Sao_Paulo' });
  browser = await chromium.launch(LAUNCH);
  page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  await page.goto(reader.url);
  await page.getByRole('button', { name: 'Ana Souza', exact: true }).click();
  await page.waitForLoadState('load');
});

after(async () => {
  await browser?.close();
  await stopReader(reader);
  if (!process.env.KEEP && tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const text = async (loc) => (await loc.innerText()).replace(/\s+/g, ' ');

test('the library card shows the session on the laptop\'s clock', async () => {
  await page.goto(`${reader.origin}/`);
  const sessions = page.locator('li.card section.sessions');
  assert.equal(await sessions.count(), 1);
  const shown = await text(sessions);
  assert.match(shown, /Upcoming live sessions/);
  assert.match(shown, /Kick-off workshop/);
  assert.match(shown, /10 March 2031 06:00 \(-03\) – 10 March 2031 09:30 \(-03\)/);
  assert.match(shown, /Room 4, ENA Dakar · Trainer: Awa Ndiaye/);
  assert.match(shown, /Finish before: The International Health Regulations at points of entry/);
  assert.equal(await sessions.locator('time').first().getAttribute('datetime'), '2031-03-10T06:00-03:00');
});

test('the outline shows it too, in French when asked', async () => {
  await page.goto(`${reader.origin}/c/${COURSE}/?lang=fr`);
  const shown = await text(page.locator('section.sessions'));
  assert.match(shown, /Prochaines sessions en direct/);
  assert.match(shown, /10 mars 2031 06:00/);
  assert.match(shown, /Ajouter à l'agenda/);
  await page.goto(`${reader.origin}/c/${COURSE}/?lang=en`);
});

test('Add to calendar downloads an .ics that calendars read', async () => {
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Add to calendar', exact: true }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `${COURSE}-kickoff.ics`);
  const ics = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n'), ics);
  assert.ok(ics.endsWith('END:VEVENT\r\nEND:VCALENDAR\r\n'));
  assert.equal(ics.replace(/\r\n/g, '').includes('\n'), false, 'every line ends in CRLF');
  const unfolded = ics.replace(/\r\n /g, '');
  assert.match(unfolded, /\r\nUID:migration-health\.kickoff@relais\r\n/);
  assert.match(unfolded, /\r\nDTSTAMP:\d{8}T\d{6}Z\r\n/);
  assert.match(unfolded, /\r\nDTSTART:20310310T090000Z\r\n/);
  assert.match(unfolded, /\r\nDTEND:20310310T123000Z\r\n/);
  assert.match(unfolded, /\r\nSUMMARY:Kick-off workshop\r\n/);
  assert.match(unfolded, /\r\nLOCATION:Room 4\\, ENA Dakar\r\n/);
  for (const line of ics.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, line);
});
