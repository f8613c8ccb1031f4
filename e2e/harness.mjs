// Starts lienthong on a fresh data directory and Debian's Chromium for the browser tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const axeSource = readFileSync(join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');

/// Starts the server; with `history`, first writes that many dossiers of generated history.
export async function startServer({ history = 0 } = {}) {
  const bin = process.env.E2E_SERVER_BIN ?? join(here, '../target/debug/lienthong');
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-e2e-'));
  if (history > 0) {
    const gen = spawnSync(bin, ['--data-dir', dir, 'demo', 'generate', '--dossiers', String(history), '--seed', '1', '--years', '2'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    if (gen.status !== 0) throw new Error(`demo generate exited with ${gen.status}`);
  }
  const child = spawn(bin, ['--data-dir', dir, 'serve', '--demo', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, LIENTHONG_LOG_FORMAT: 'json', LIENTHONG_LOGIN_PER_MINUTE: '1000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server not ready in 60 s')), 60_000);
    createInterface({ input: child.stderr }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.message === 'lienthong ready') {
          clearTimeout(timer);
          resolve(event.url.replace(/\/$/, ''));
        }
      } catch { /* banner lines are not JSON */ }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page; returns serious and critical violations.
export async function seriousViolations(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
