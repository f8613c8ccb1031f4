// Citizen pages in real Chromium: accessibility (axe-core, WCAG 2.1 AA), keyboard-only use,
// and everything working with JavaScript switched off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServer, startBrowser, seriousViolations } from './harness.mjs';

let server;
let browser;
const shots = new URL('../target/e2e/', import.meta.url);
mkdirSync(shots, { recursive: true });

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const pages = [
  ['/', 'home'],
  ['/login', 'login'],
  ['/register', 'register'],
  ['/khong-co-trang-nay', 'not-found'],
  ['/?lang=en', 'home-en'],
  ['/procedures?q=cap+giay+phep+xay+dung', 'search-results'],
  ['/procedures?q=zzzz', 'search-empty'],
  ['/procedures/1.009994', 'procedure'],
  ['/procedures/2.000488', 'procedure-province'],
  ['/procedures/9.999999', 'procedure-missing'],
];

test('citizen pages have no serious or critical axe violations', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  for (const [path, name] of pages) {
    await page.goto(server.url + path);
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `${path}: ${violations.join('\n')}`);
    await page.screenshot({ path: new URL(`${name}.png`, shots).pathname, fullPage: true });
  }
  // The registration form after a failed submission (error summary, invalid fields).
  await page.goto(`${server.url}/register`);
  await page.fill('#full_name', 'Phạm Thị Mai');
  await page.fill('#cccd', '12345');
  await page.click('button[type=submit]');
  assert.match(await page.textContent('.error-summary'), /Số định danh cá nhân/);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.screenshot({ path: new URL('register-errors.png', shots).pathname, fullPage: true });
  await context.close();
});

test('a citizen logs in and out with the keyboard only, without JavaScript', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  // The first Tab reaches the skip link; further Tabs reach the username field.
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').getAttribute('href'), '#main');
  for (let i = 0; i < 15 && (await page.locator(':focus').getAttribute('id')) !== 'username'; i += 1) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.locator(':focus').getAttribute('id'), 'username', 'the username field is reachable by Tab');
  await page.keyboard.type('citizen1');
  await page.keyboard.press('Tab');
  await page.keyboard.type('lienthong-demo');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/account`);
  assert.match(await page.textContent('main'), /Nguyễn Văn An/);
  const logout = page.locator('form[action="/logout"] button');
  await logout.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/`);
  assert.match(await page.textContent('header'), /Đăng nhập/);
  await context.close();
});

test('wrong credentials show a Vietnamese error summary and keep the username', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('#username', 'citizen2');
  await page.fill('#password', 'sai-mat-khau');
  await page.press('#password', 'Enter');
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /Tên đăng nhập hoặc mật khẩu không đúng/);
  assert.equal(await page.inputValue('#username'), 'citizen2');
  await context.close();
});

test('an official reaches the office landing page for their roles', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=/office`);
  await page.fill('#username', 'reception@000.00.20.H13');
  await page.fill('#password', 'lienthong-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.url}/office`);
  assert.match(await page.textContent('main'), /Tiếp nhận và trả kết quả/);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.screenshot({ path: new URL('office.png', shots).pathname, fullPage: true });
  await context.close();
});

test('the desk form for dossiers brought in person and the work queue pass the audit', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=/office`);
  await page.fill('#username', 'reception@000.00.04.H13');
  await page.fill('#password', 'lienthong-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.url}/office`);
  await page.click('a[href="/office/desk"]');
  await page.selectOption('#procedure-choice', { index: 0 });
  await page.click('form[action="/office/desk"] button[type=submit]');
  await page.waitForSelector('form[enctype="multipart/form-data"]');
  const deskViolations = await seriousViolations(page);
  assert.deepEqual(deskViolations, [], deskViolations.join('\n'));
  await page.screenshot({ path: new URL('office-desk.png', shots).pathname, fullPage: true });
  await page.goto(`${server.url}/office/dossiers?scope=unit`);
  const queueViolations = await seriousViolations(page);
  assert.deepEqual(queueViolations, [], queueViolations.join('\n'));
  await context.close();
});

test('an administrator reads the message templates and the delivery log', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/login?next=/office/notifications`);
  await page.fill('#username', 'admin@000.00.00.H13');
  await page.fill('#password', 'lienthong-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.url}/office/notifications`);
  assert.match(await page.textContent('main'), /dossier\.accept/);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.screenshot({ path: new URL('office-notifications.png', shots).pathname, fullPage: true });
  await context.close();
});

test('search from the home page with the keyboard, without diacritics and without JavaScript', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', javaScriptEnabled: false, viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  await page.goto(server.url + '/');
  await page.focus('#q');
  await page.keyboard.type('cap giay phep xay dung');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/procedures\?q=/);
  const first = page.locator('ol.results li h3 a').first();
  assert.equal(await first.textContent(), 'Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ');
  await first.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/procedures\/1\.009994$/);
  assert.match(await page.textContent('main'), /75\.000 đồng/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `no horizontal scrolling at 320 px (page is ${width} px wide)`);
  await context.close();
});
