// The public signature check in real Chromium: accessible (axe, WCAG 2.1 AA), works without
// JavaScript by keyboard, and shows the verdict for an uploaded file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { startServer, startBrowser, seriousViolations } from './harness.mjs';

let server;
let browser;
const shots = new URL('../target/e2e/', import.meta.url);
mkdirSync(shots, { recursive: true });

before(async () => {
  server = await startServer({});
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function unsignedPdf() {
  const parts = ['%PDF-1.7\n'];
  const offsets = [];
  const bodies = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ];
  let length = parts[0].length;
  bodies.forEach((b, i) => {
    offsets.push(length);
    const obj = `${i + 1} 0 obj\n${b}\nendobj\n`;
    parts.push(obj);
    length += obj.length;
  });
  const xref = length;
  parts.push('xref\n0 4\n0000000000 65535 f \n');
  offsets.forEach((o) => parts.push(`${String(o).padStart(10, '0')} 00000 n \n`));
  parts.push(`trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return parts.join('');
}

test('anyone checks a file on the verification page, without script, by keyboard', async () => {
  const file = new URL('verify-sample.pdf', shots).pathname;
  writeFileSync(file, unsignedPdf());
  // Accessibility of the empty page and of a verdict (axe needs script).
  const audited = await browser.newContext({ locale: 'vi-VN', bypassCSP: true, viewport: { width: 390, height: 844 } });
  const page = await audited.newPage();
  await page.goto(`${server.url}/verify`);
  const empty = await seriousViolations(page);
  assert.deepEqual(empty, [], empty.join('\n'));
  await page.setInputFiles('#file', file);
  await page.click('form[action="/verify"] button[type=submit]');
  await page.waitForSelector('#verdict');
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.screenshot({ path: new URL('verify.png', shots).pathname, fullPage: true });
  await audited.close();
  // Without JavaScript, by keyboard.
  const plain = await browser.newContext({ locale: 'vi-VN', javaScriptEnabled: false });
  const p = await plain.newPage();
  await p.goto(`${server.url}/verify`);
  await p.setInputFiles('#file', file);
  await p.focus('form[action="/verify"] button[type=submit]');
  await p.keyboard.press('Enter');
  await p.waitForSelector('#verdict');
  assert.match(await p.textContent('main'), /Tệp không có chữ ký số/);
  await plain.close();
});
