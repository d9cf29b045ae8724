// Look at the built site in headless Chromium, as a reader would: the home page, a search
// typed into the search box (docs/site-search.png), a rule page, and every same-site link of
// three pages fetched. Needs Debian's chromium and npm's playwright-core (neither is a
// dependency of lintnn); see docs/site.md for the commands.
const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('http://127.0.0.1:8765/index.html');
  await page.screenshot({ path: process.argv[2] + '/home.png' });
  await page.click('input.md-search__input');
  await page.keyboard.type('scaler', { delay: 50 });
  await page.waitForSelector('.md-search-result__item', { timeout: 20000 });
  const results = await page.$$eval('.md-search-result__item h1, .md-search-result__item h2',
                                    els => els.map(e => e.textContent.trim()).slice(0, 6));
  await page.screenshot({ path: process.argv[2] + '/search.png' });
  await page.goto('http://127.0.0.1:8765/rules/NN101.html');
  const title = await page.title();
  // every link of the home page and the rules index that stays on the site resolves
  const broken = [];
  for (const start of ['index.html', 'rules/index.html', 'docs/configuration.html']) {
    await page.goto('http://127.0.0.1:8765/' + start);
    const hrefs = await page.$$eval('a[href]', as => as.map(a => a.href));
    for (const href of new Set(hrefs)) {
      if (!href.startsWith('http://127.0.0.1:8765/')) continue;
      const response = await page.request.get(href.split('#')[0]);
      if (response.status() !== 200) broken.push(href + ' ' + response.status());
    }
  }
  console.log(JSON.stringify({ results, title, broken, errors }, null, 1));
  await browser.close();
})();
