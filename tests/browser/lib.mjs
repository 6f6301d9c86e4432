// lib.mjs: what the browser tests share: the programs and browser they use, and starting and
// stopping the servers they drive (relais read, relais-hub).
//
// Environment: RELAIS (the relais program, default ../../build/cli/relais from this file),
// RELAIS_HUB (default ../../build/cli/relais-hub), RELAIS_SOURCE_ROOT (the source tree holding
// courses/ and po/, default ../..), CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RELAIS = path.resolve(here, process.env.RELAIS || '../../build/cli/relais');
export const HUB = path.resolve(here, process.env.RELAIS_HUB || '../../build/cli/relais-hub');
export const SOURCE_ROOT = path.resolve(here, process.env.RELAIS_SOURCE_ROOT || '../..');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const AXE = path.join(here, 'node_modules', 'axe-core', 'axe.min.js');
export const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
/* The first line of `relais read` and of `relais-hub serve`: their addresses. */
export const READER_ADDRESS = /^(http:\/\/127\.0\.0\.1:\d+)\/\?k=[0-9a-f]{32}$/;
export const HUB_ADDRESS = /^(http:\/\/127\.0\.0\.1:\d+)\/$/;

/* axe-core's violations on page, one line each, named what; says how many it found. */
export async function axe(page, what) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const u = new URL(page.url());
  say(`axe ${what} ${u.pathname}${u.search}: ${r.violations.length ? r.violations.map((v) => `${v.id}[${v.impact}]`).join(' ') : 'no violation'}`);
  return r.violations.map((v) => `${what}: ${v.id} (${v.impact}) at ${v.nodes.map((nd) => nd.target.join(' ')).join(', ')}`);
}

export function say(msg) {
  console.log(`    checked: ${msg}`);
}

/*
 * Starts a server program whose first line is its address (matching pattern, whose first
 * group is the origin); resolves with { proc, url, origin, exited }.
 */
export function startServer(program, args, env, pattern) {
  return new Promise((resolve, reject) => {
    const proc = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${program} printed no address in 10 s: ${stderr}`)); }, 10000);
    proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`${program} exited (${code ?? sig}): ${stderr}`)); });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const m = pattern.exec(line.trim());
      if (!m) { proc.kill('SIGKILL'); reject(new Error(`unexpected first line: ${line}`)); return; }
      const exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
      resolve({ proc, url: line.trim(), origin: m[1], exited });
    });
  });
}

/* Stops a server started by startServer: SIGTERM, SIGKILL after 5 s. */
export async function stop(server) {
  if (!server || server.proc.exitCode !== null || server.proc.signalCode !== null) return;
  server.proc.kill('SIGTERM');
  let timer;
  const late = new Promise((res) => { timer = setTimeout(() => res('late'), 5000); });
  if (await Promise.race([server.exited, late]) === 'late') {
    server.proc.kill('SIGKILL');
    await server.exited;
  }
  clearTimeout(timer);
}
