// drive.cjs opens a page of the example server in headless Chromium and
// prints, as one JSON line on stdout, what the page reports in
// window.__forwarding once its first span has been exported (or failed).
// The integration test of examples/forwarding runs it; a person can too:
//
//   node drive.cjs '{"url":"http://127.0.0.1:8080/","chromium":"/usr/bin/chromium"}'
//
// The one argument is a JSON object:
//   url        the page to open (required)
//   chromium   the Chromium executable (required)
//   headers    extra request headers the browser sends with every request
//   cookies    [{name, value}] cookies set for the page's origin
//   timeoutMs  how long to wait for the page (default 30000)
// Everything else (the page's console, Chromium's errors) goes to stderr.
'use strict';

const { chromium } = require('playwright-core');

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function main() {
  const opts = JSON.parse(process.argv[2] || '{}');
  if (!opts.url || !opts.chromium) {
    throw new Error('usage: node drive.cjs \'{"url":"...","chromium":"/usr/bin/chromium"}\'');
  }
  const timeout = opts.timeoutMs || 30000;
  const browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    args: FLAGS,
    timeout,
  });
  try {
    const context = await browser.newContext({ extraHTTPHeaders: opts.headers || {} });
    if (opts.cookies && opts.cookies.length > 0) {
      await context.addCookies(opts.cookies.map((c) => ({ name: c.name, value: c.value, url: opts.url })));
    }
    const page = await context.newPage();
    page.on('console', (m) => console.error(`[page ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`[page error] ${e}`));
    await page.goto(opts.url, { timeout });
    await page.waitForFunction(
      () => window.__forwarding && window.__forwarding.state !== 'pending',
      null,
      { timeout },
    );
    const result = await page.evaluate(() => ({
      ...window.__forwarding,
      userAgent: navigator.userAgent,
      status: document.getElementById('status').textContent,
    }));
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`drive.cjs: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
