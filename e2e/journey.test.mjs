// The citizen journey in real Chromium without JavaScript: find a procedure, answer the form
// step by step, attach files, check, send, get the acknowledgement and receipt, and track it.
// Every page on the way is checked with axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startBrowser, seriousViolations } from './harness.mjs';

let server;
let browser;
const shots = new URL('../target/e2e/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

let stepNo = 0;

async function audit(page, name) {
  // A second context with JavaScript runs axe on the same URL and state (same cookies).
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `${name}: ${violations.join('\n')}`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('a citizen applies for a criminal record certificate and tracks it', async () => {
  const pdf = join(tmpdir(), `lienthong-e2e-${process.pid}.pdf`);
  writeFileSync(pdf, '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
  const fake = join(tmpdir(), `lienthong-e2e-${process.pid}.png`);
  writeFileSync(fake, '%PDF-1.4 this is a pdf named png');
  const context = await browser.newContext({ locale: 'vi-VN', bypassCSP: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  // Every step page the citizen reaches is checked with axe.
  const next = async () => {
    await page.click('button.button');
    await page.waitForLoadState('load');
    stepNo += 1;
    await audit(page, `step-${String(stepNo).padStart(2, '0')}`);
  };
  await page.goto(`${server.url}/login?next=/procedures?q=ly+lich+tu+phap`);
  await page.fill('#username', 'citizen1');
  await page.fill('#password', 'lienthong-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/procedures\?q=/);
  await page.click('ol.results li h3 a >> nth=0');
  await page.waitForURL(/\/procedures\/2\.000488$/);
  await page.click('form.apply button');
  await page.waitForURL(/\/drafts\/[^/]+\/q1$/);
  // One question per page: answer each, sometimes wrongly first.
  const answers = [
    ['applicant_name', async () => page.fill('#applicant_name', 'Nguyễn Văn An')],
    ['applicant_cccd', async () => page.fill('#applicant_cccd', '12345')],
  ];
  for (const [, fill] of answers) {
    await fill();
    await next();
  }
  // The wrong CCCD comes back with an error summary, the typed value kept.
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /Số định danh cá nhân/);
  assert.equal(await page.inputValue('#applicant_cccd'), '12345');
  await audit(page, 'step-error-summary');
  await page.fill('#applicant_cccd', '092085001234');
  await next();
  await page.fill('#applicant_phone', '0912 345 671');
  await next();
  await audit(page, 'step-email');
  await next(); // e-mail is optional
  // Address: the province of the receiving agency is preselected.
  await page.selectOption('select[id="applicant_address.commune_code"]', '31135');
  await page.fill('input[id="applicant_address.detail"]', '12 Hòa Bình');
  await audit(page, 'step-address');
  await next();
  await page.check('#form_number-1');
  await next();
  // Back keeps what was typed.
  await page.fill('#birth_place', 'Cần Thơ');
  await page.click('button[name=_nav][value=back]');
  await page.waitForURL(/\/q6$/);
  await next();
  assert.equal(await page.inputValue('#birth_place'), 'Cần Thơ');
  await next();
  await page.fill('#purpose', 'Bổ sung hồ sơ xin việc');
  await next();
  await audit(page, 'step-checkbox');
  await next(); // no reduced fee
  await page.waitForURL(/\/files$/);
  await audit(page, 'files');
  // A file whose content does not match its name is refused; a real PDF is kept.
  await page.setInputFiles('#to_khai', fake);
  await page.click('#to_khai ~ button');
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /không khớp/);
  await audit(page, 'files-error');
  await page.setInputFiles('#to_khai', pdf);
  await page.click('#to_khai ~ button');
  await page.setInputFiles('#giay_to_tuy_than', pdf);
  await page.click('#giay_to_tuy_than ~ button');
  await page.click('form.actions button.button');
  await page.waitForURL(/\/check$/);
  assert.match(await page.textContent('main'), /Nguyễn Văn An/);
  assert.match(await page.textContent('main'), /Phường Ninh Kiều/);
  await audit(page, 'check');
  await page.click('form.actions button.button');
  await page.waitForURL(/\/dossiers\/.+\?submitted=1$/);
  const code = (await page.textContent('strong.big')).trim();
  assert.match(code, /^000\.00\.04\.H13-\d{6}-0001$/);
  await audit(page, 'acknowledgement');
  const receipt = await context.request.get(`${server.url}/api/v1/dossiers/${code}/receipt.pdf`);
  assert.equal(receipt.status(), 200);
  assert.equal(receipt.headers()['content-type'], 'application/pdf');
  // Public tracking in a fresh browser.
  const anon = await browser.newContext({ locale: 'vi-VN', bypassCSP: true });
  const track = await anon.newPage();
  await track.goto(`${server.url}/track`);
  await track.fill('#code', code);
  await track.fill('#phone_last4', '5671');
  await track.click('button.button');
  await track.waitForSelector('#result-heading');
  assert.match(await track.textContent('main'), /Mới đăng ký/);
  await audit(track, 'tracking');
  await track.fill('#phone_last4', '0000');
  await track.click('button.button');
  await track.waitForSelector('.error-summary');
  await audit(track, 'tracking-error');
  await anon.close();
  // The reception desk of the agency accepts it; the due date appears.
  const office = await browser.newContext({ locale: 'vi-VN', bypassCSP: true });
  const desk = await office.newPage();
  await desk.goto(`${server.url}/login?next=/office/dossiers`);
  await desk.fill('#username', 'reception@000.00.04.H13');
  await desk.fill('#password', 'lienthong-demo');
  await desk.click('button[type=submit]');
  await desk.waitForURL(/\/office\/dossiers$/);
  await audit(desk, 'office-queue');
  await desk.click(`a[href="/office/dossiers/${code}"]`);
  await audit(desk, 'office-dossier');
  const dossierUrl = new RegExp(`/office/dossiers/${code.replace(/\./g, '\\.')}$`);
  await desk.click('#action-accept button[type=submit]');
  await desk.waitForURL(dossierUrl);
  assert.match(await desk.textContent('main'), /Được tiếp nhận/);
  assert.match(await desk.textContent('main'), /\d{2}\/\d{2}\/\d{4}/);
  await audit(desk, 'office-dossier-accepted');
  // The desk asks for one item to be supplemented, with its reason.
  await desk.check('#target-purpose');
  await desk.fill('#reason-purpose', 'Ghi rõ mục đích sử dụng phiếu');
  await desk.click('#action-request_supplement button[type=submit]');
  await desk.waitForURL(dossierUrl);
  assert.match(await desk.textContent('main'), /Yêu cầu bổ sung/);
  // The applicant sees only that item, answers it, and the dossier resumes.
  await page.goto(`${server.url}/dossiers/${code}`);
  assert.match(await page.textContent('main'), /Ghi rõ mục đích sử dụng phiếu/);
  await audit(page, 'supplement');
  await page.fill('#s-purpose', 'Bổ sung hồ sơ xin việc');
  await page.click('form[action$="/supplement"] button[type=submit]');
  await page.waitForURL(new RegExp(`/dossiers/${code.replace(/\./g, '\\.')}$`));
  assert.match(await page.textContent('main'), /Được tiếp nhận/);
  await audit(page, 'dossier-after-supplement');
  await desk.goto(`${server.url}/office/dossiers/${code}`);
  await desk.click('#action-forward button[type=submit]');
  await desk.waitForURL(dossierUrl);
  assert.match(await desk.textContent('main'), /Đang xử lý/);
  await office.close();
  await context.close();
});
