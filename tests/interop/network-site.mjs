// The network's public site in a real browser (Debian's chromium driven by playwright-core): the map
// draws the communes of Plaine Commune (its offline basemap) and shows markers and the same
// results as a list; choosing a skill in the filter form narrows both the
// markers and the list (and the filtered view is a URL); the agenda of a month shows an event.
//
//   node tests/interop/network-site.mjs BASE_URL SKILL_IRI MONTH EVENT_NAME
//
// Prints one JSON report on stdout. Exit 0 if everything holds, 1 otherwise, 2 on bad usage.
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const args = process.argv.slice(2);
if (args.length !== 4) {
  console.error("usage: node network-site.mjs BASE_URL SKILL_IRI MONTH EVENT_NAME");
  process.exit(2);
}
const [BASE, SKILL, MONTH, EVENT] = args;
const { chromium } = await import("playwright-core");
const failures = [];
const errors = [];
const report = { failures };
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
});
try {
  const page = await browser.newPage({ locale: "fr-FR" });
  report.consoleErrors = errors;
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  async function mapState() {
    await page.waitForSelector("#map[data-ready]", { state: "attached", timeout: 20000 });
    return {
      ready: await page.getAttribute("#map", "data-ready"),
      markers: await page.locator("#map .leaflet-marker-icon").count(),
      features: Number(await page.getAttribute("#map", "data-count")),
      list: await page.locator("section[aria-labelledby=liste] ul.cards > li").count(),
    };
  }

  await page.goto(`${BASE}/carte`, { waitUntil: "load" });
  report.all = await mapState();
  // The communes' outlines are drawn even without tiles (the offline basemap).
  await page
    .waitForFunction(() => document.querySelectorAll("#map path.leaflet-interactive").length >= 9, null, { timeout: 10000 })
    .catch(() => {});
  report.communes = await page.locator("#map path.leaflet-interactive").count();
  if (report.communes < 9) failures.push(`the map draws ${report.communes} communes, not the 9 of Plaine Commune`);
  // Narrow by skill with the form, as a visitor does.
  await page.selectOption("#skill", SKILL);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form.filters button[type=submit]")]);
  report.filteredUrl = page.url();
  report.filtered = await mapState();
  // Markers at one point are clustered: the features behind them are what a filter narrows.
  if (report.all.ready !== "true" || report.all.markers < 1 || report.all.features < 2) {
    failures.push(`the map shows ${report.all.markers} markers for ${report.all.features} features`);
  }
  if (report.all.list !== report.all.features) failures.push(`the list (${report.all.list}) is not the map (${report.all.features})`);
  if (!(report.filtered.markers >= 1 && report.filtered.features >= 1 && report.filtered.features < report.all.features)) {
    failures.push(`the skill filter does not narrow the markers (${report.all.features} → ${report.filtered.features})`);
  }
  if (!(report.filtered.list >= 1 && report.filtered.list < report.all.list)) {
    failures.push(`the skill filter does not narrow the list (${report.all.list} → ${report.filtered.list})`);
  }
  if (!decodeURIComponent(report.filteredUrl).includes(SKILL)) failures.push("the filtered view is not in the URL");

  await page.goto(`${BASE}/agenda?month=${MONTH}`, { waitUntil: "load" });
  const agenda = await page.textContent("main");
  report.agendaHasEvent = agenda.includes(EVENT);
  if (!report.agendaHasEvent) failures.push(`the agenda of ${MONTH} does not show ${EVENT}`);
  if (errors.length) failures.push(`console: ${errors.join(" | ")}`);
} catch (e) {
  failures.push(String(e));
} finally {
  await browser.close();
}
report.ok = failures.length === 0;
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
