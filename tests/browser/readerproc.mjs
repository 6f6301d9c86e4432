// readerproc.mjs: what browser tests share: the relais program on a home, `relais read`
// started and stopped, chromium's launch options. Environment as run.mjs: RELAIS,
// RELAIS_SOURCE_ROOT, CHROMIUM.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RELAIS = path.resolve(here, process.env.RELAIS || '../../build/cli/relais');
export const SOURCE_ROOT = path.resolve(here, process.env.RELAIS_SOURCE_ROOT || '../..');

/* Debian's chromium (CHROMIUM), headless, as every browser test launches it. */
export const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

export function say(msg) {
  console.log(`    checked: ${msg}`);
}

/* Runs relais on home; throws with its message when it fails. */
export function relais(home, ...args) {
  return execFileSync(RELAIS, args, { env: { ...process.env, RELAIS_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* Starts `relais read` on home and resolves with { proc, url, origin, exited }. */
export function startReader(home) {
  return new Promise((resolve, reject) => {
    const proc = spawn(RELAIS, ['read', '--no-browser', '--port', '0'], { env: { ...process.env, RELAIS_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`relais read printed no address in 10 s: ${stderr}`)); }, 10000);
    proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`relais read exited (${code ?? sig}): ${stderr}`)); });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/\?k=[0-9a-f]{32}$/.exec(line.trim());
      if (!m) { proc.kill('SIGKILL'); reject(new Error(`unexpected first line: ${line}`)); return; }
      const exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
      resolve({ proc, url: line.trim(), origin: m[1], exited });
    });
  });
}

/* Stops a reader started by startReader (SIGTERM, then SIGKILL after 5 s); accepts none. */
export async function stopReader(r) {
  if (!r || r.proc.exitCode !== null || r.proc.signalCode !== null) return;
  r.proc.kill('SIGTERM');
  let timer;
  const late = new Promise((res) => { timer = setTimeout(() => res('late'), 5000); });
  if (await Promise.race([r.exited, late]) === 'late') {
    r.proc.kill('SIGKILL');
    await r.exited;
  }
  clearTimeout(timer);
}

/* The statements in home's outbox, oldest first. */
export function outbox(home) {
  const db = path.join(home, 'relais.db');
  const out = execFileSync('python3', ['-c', `import sqlite3, sys, json
print(json.dumps([r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT statement FROM outbox ORDER BY seq")]))`, db], { encoding: 'utf8' });
  return JSON.parse(out).map((s) => JSON.parse(s));
}
