const { chromium } = require('playwright-core');
(async () => {
  const [,, url, out, wait] = process.argv;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { waitUntil: 'networkidle', timeout: 60000 });
  await page.waitForTimeout(parseInt(wait || '3000'));
  await page.screenshot({ path: out });
  await browser.close();
})();
