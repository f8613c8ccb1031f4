// Reports in real Chromium: the public statistics and open data pages and the leaders'
// dashboard pass axe (WCAG 2.1 AA), work without JavaScript and by keyboard; the charts are
// images with a title and a data table beside them; drill-down reaches the dossiers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServer, startBrowser, seriousViolations } from './harness.mjs';

let server;
let browser;
const shots = new URL('../target/e2e/', import.meta.url);
mkdirSync(shots, { recursive: true });

before(async () => {
  server = await startServer({ history: 3000 });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function audit(page, name) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `${name}: ${violations.join('\n')}`);
  await page.screenshot({ path: new URL(`${name}.png`, shots).pathname, fullPage: true });
}

test('public statistics and open data are accessible and need no script', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/statistics`);
  await audit(page, 'statistics-phone');
  const chart = page.locator('svg.chart[role=img]').first();
  assert.ok(await chart.getAttribute('aria-labelledby'));
  assert.ok((await page.locator('table.report tbody tr').count()) > 2, 'a data table beside the chart');
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(`${server.url}/statistics?group_by=field`);
  await audit(page, 'statistics-desktop');
  await page.goto(`${server.url}/open-data`);
  await audit(page, 'open-data');
  await context.close();
  // Without JavaScript the filter form still works (GET), by keyboard.
  const plain = await browser.newContext({ locale: 'vi-VN', javaScriptEnabled: false });
  const p = await plain.newPage();
  await p.goto(`${server.url}/statistics`);
  await p.focus('#group_by');
  await p.selectOption('#group_by', 'procedure');
  await p.focus('form[role=search] button[type=submit]');
  await p.keyboard.press('Enter');
  await p.waitForURL(/group_by=procedure/);
  assert.match(await p.textContent('table.report'), /Đăng ký khai sinh/);
  await plain.close();
});

test('a leader reads the dashboard and drills down to the dossiers behind a number', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=/office/reports`);
  await page.fill('#username', 'leader@000.00.00.H13');
  await page.fill('#password', 'lienthong-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/office\/reports$/);
  await audit(page, 'office-reports');
  // Province → an agency (a rolled-up row) → its procedures → the dossiers behind a figure.
  await page.click('table.report tbody th a >> nth=0');
  await page.waitForLoadState('load');
  await page.selectOption('#group_by', 'procedure');
  await page.click('form[role=search] button[type=submit]');
  await page.waitForURL(/group_by=procedure/);
  await audit(page, 'office-reports-procedures');
  await page.click('table.report a[href*="column=received_total"] >> nth=0');
  await page.waitForURL(/\/office\/reports\/dossiers/);
  await audit(page, 'office-reports-dossiers');
  assert.ok((await page.locator('tbody tr').count()) > 0);
  await context.close();
});
