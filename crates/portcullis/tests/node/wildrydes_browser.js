// Drives the Wild Rydes page (examples/wildrydes/web) in Debian's Chromium through
// playwright-core, as a user would: register, verify with the code, sign in, request a unicorn,
// then the same request unsigned. Usage:
//   node wildrydes_browser.js <page URL> <screenshot file>
// The confirmation code is read from standard input after the line {"step":"registered"} is
// printed (the test reads the outbox). The last line printed is the result, as JSON:
//   {"ok": true, "unicorn", "ride", "unsigned", "protocols": [{url, method, status, protocol}], "logs"}
// or {"ok": false, "message", ...}; "logs" are the page's console messages and errors.
'use strict';
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const [pageUrl, screenshot] = process.argv.slice(2);
const print = (value) => process.stdout.write(JSON.stringify(value) + '\n');
let browser;

async function finish(result) {
  print(result);
  if (browser) await browser.close().catch(() => {});
  process.exit(0);
}

// A bounded run: the test never waits on a hung browser.
setTimeout(() => finish({ ok: false, message: 'no result within 90 s' }), 90000).unref();

const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

// Clicks `button`, then waits for `output` to be written and checks it starts with `expected`.
async function step(page, button, output, expected) {
  await page.locator(`#${output}`).evaluate((el) => {
    el.textContent = '';
  });
  await page.click(`#${button}`);
  const locator = page.locator(`#${output}`);
  await page.waitForFunction((id) => document.getElementById(id).textContent !== '', output, {
    timeout: 20000,
  });
  const text = await locator.textContent();
  if (!text.startsWith(expected)) throw new Error(`after #${button}: ${text}`);
  return text;
}

async function main() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));

  // The network as Chromium saw it, with each response's protocol ("h2", "http/1.1").
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const requests = new Map();
  const protocols = [];
  cdp.on('Network.requestWillBeSent', (e) => requests.set(e.requestId, e.request.method));
  cdp.on('Network.responseReceived', (e) =>
    protocols.push({
      url: e.response.url,
      method: requests.get(e.requestId),
      status: e.response.status,
      protocol: e.response.protocol,
    }),
  );

  try {
    await page.goto(pageUrl, { waitUntil: 'load' });
    const email = `rider-${Date.now()}@example.com`;
    await page.fill('#email', email);
    await page.fill('#password', 'Unicorn-Ride-1');
    await step(page, 'register', 'status', 'Registered');
    print({ step: 'registered', email });
    await page.fill('#code', (await nextLine()).trim());
    await step(page, 'verify', 'status', 'Verified');
    await step(page, 'signin', 'status', 'Signed in');
    const ride = await step(page, 'ride', 'unicorn', '');
    const unicorn = await page.locator('#unicorn-name').textContent();
    const unsigned = await step(page, 'unsigned', 'unsigned-result', '');
    await page.screenshot({ path: screenshot, fullPage: true });
    await finish({ ok: true, unicorn, ride, unsigned, protocols, logs });
  } catch (err) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    await finish({ ok: false, message: err.message, protocols, logs });
  }
}

main().catch((err) => finish({ ok: false, message: err.message }));
