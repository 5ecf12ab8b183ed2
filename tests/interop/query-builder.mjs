// The network site's visual query builder (Sparnatural 11.1.1, <spar-natural> on /requetes) driven like a user
// in a real browser: Debian's chromium by playwright-core, fr-FR.
//
//   node tests/interop/query-builder.mjs BASE_URL      e.g. http://localhost:4100 (a cod-server serving a network)
//
// Needs /usr/bin/chromium (never `npx playwright install`) and tests/interop/node_modules (install.sh).
// The query only needs the vocabulary every network store holds (the skills nomenclature), so it returns rows even
// on a network with no member place yet. Clicks, in order:
//   1. start entity "Compétence" (qb:Skill);
//   2. end entity "Compétence": the only property between them, "fait partie du domaine" (skos:broader+), is
//      chosen by Sparnatural itself;
//   3. the tree widget (roots from the skills scheme's top concepts, read on /sparql): tick "Artisanat"
//      (https://w3id.org/kommon/skills/artisanat) and "Sélectionner";
//   4. the play button. /assets/site/query.js POSTs the expanded query to /sparql and renders
//      #builder-results with data-rows = the row count (or "error").
// Prints one JSON report on stdout: {ok, rows, query, consoleErrors, steps, error?} (`query`: the SPARQL text the
// page POSTed to /sparql; `steps`: what was done, with timings). Exit 0 when rows >= 1, 1 otherwise (`error` says
// at which step), 2 on bad usage. Gives up after 55 s.
const USAGE = "usage: node query-builder.mjs BASE_URL   (e.g. http://localhost:4100)";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const QB = "https://w3id.org/kommon/query-builder#";
const SKILL_SHAPE = `${QB}Skill`;
const ROOT_SKILL = "https://w3id.org/kommon/skills/artisanat";
const EXPECTED_PROPERTY = "fait partie du domaine";
const STEP_TIMEOUT_MS = 15_000;
const OVERALL_TIMEOUT_MS = 55_000;

const args = process.argv.slice(2);
if (args.length !== 1 || args[0] === "-h" || args[0] === "--help") {
  console.error(USAGE);
  process.exit(2);
}
let base;
try {
  base = new URL(args[0]);
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error("not http(s)");
} catch (e) {
  console.error(`query-builder: bad BASE_URL ${JSON.stringify(args[0])} (${e.message})\n${USAGE}`);
  process.exit(2);
}
const PAGE_URL = new URL("/requetes", base).href;
const SPARQL_URL = new URL("/sparql", base).href;

const report = { ok: false, rows: null, query: null, consoleErrors: [], steps: [] };
const started = Date.now();
let browser = null;
let finished = false;

async function finish(code) {
  if (finished) return;
  finished = true;
  report.ok = code === 0;
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  if (browser) await browser.close().catch(() => {});
  process.exit(code);
}

const watchdog = setTimeout(() => {
  report.error = `gave up after ${OVERALL_TIMEOUT_MS / 1000} s (last step: ${report.steps.at(-1)?.step ?? "none"})`;
  finish(1);
}, OVERALL_TIMEOUT_MS);

async function step(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    report.steps.push({ step: name, ms: Date.now() - t0, ...(detail === undefined ? {} : { detail }) });
  } catch (e) {
    report.steps.push({ step: name, ms: Date.now() - t0, failed: true });
    throw new Error(`${name}: ${e.message.split("\n")[0]}`);
  }
}

try {
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
  });
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 1000 } });
  // Keeps the last `queryUpdated` of the component (the event bubbles to the document).
  await context.addInitScript(() => {
    document.addEventListener("queryUpdated", (e) => {
      window.__kommonLastQuery = e.detail && e.detail.queryString;
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on("console", (m) => m.type() === "error" && report.consoleErrors.push(m.text()));
  page.on("pageerror", (e) => report.consoleErrors.push(String(e)));
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url() === SPARQL_URL) report.query = r.postData();
  });
  const sn = page.locator("spar-natural");

  await step("open /requetes", async () => {
    const response = await page.goto(PAGE_URL, { waitUntil: "load" });
    const status = response ? response.status() : null;
    if (status !== 200) throw new Error(`status ${status}`);
    if ((await sn.count()) !== 1) throw new Error("no <spar-natural> element");
    if ((await page.locator("#builder-results").count()) !== 1) throw new Error("no #builder-results");
    return { status, src: await sn.getAttribute("src"), endpoint: await sn.getAttribute("endpoint") };
  });

  await step("start entity: Compétence", async () => {
    const item = sn.locator(`.StartClassGroup li[data-id="${SKILL_SHAPE}"]`);
    await item.locator(".item-sel").click();
    await sn.locator(".StartClassGroup .current.selected", { hasText: "Compétence" }).waitFor();
    return (await item.locator(".item-label").innerText()).trim();
  });

  await step("end entity: Compétence", async () => {
    const item = sn.locator(`.EndClassGroup li[data-id="${SKILL_SHAPE}"]`).first();
    await item.locator(".item-sel").click();
    const property = sn.locator(".ObjectPropertyGroup .current.selected").first();
    await property.waitFor();
    const label = (await property.innerText()).trim();
    if (label !== EXPECTED_PROPERTY) throw new Error(`property "${label}", expected "${EXPECTED_PROPERTY}"`);
    return `property: ${label}`;
  });

  await step("value: Artisanat in the skills tree", async () => {
    await sn.locator("a.treeBtnDisplay").first().click();
    const anchor = sn.locator(`.treeLayer li[id="${ROOT_SKILL}"] > a.jstree-anchor`);
    await anchor.waitFor({ state: "visible" });
    const label = (await anchor.innerText()).trim();
    await anchor.click();
    if ((await anchor.getAttribute("aria-selected")) !== "true") throw new Error(`"${label}" not ticked`);
    await sn.locator(".treeLayer a.treeSubmit").first().click();
    await page.waitForFunction((iri) => (window.__kommonLastQuery || "").includes(iri), ROOT_SKILL);
    return label;
  });

  await step("play", async () => {
    const play = sn.locator(".playBtn:not(.submitDisable)");
    await play.click();
    await page.locator("#builder-results[data-rows]").waitFor({ state: "attached" });
    const rows = await page.getAttribute("#builder-results", "data-rows");
    if (rows === "error") {
      const text = (await page.locator("#builder-results").innerText()).trim();
      throw new Error(`the endpoint refused the query: ${text.slice(0, 500)}`);
    }
    report.rows = Number.parseInt(rows, 10);
    const caption = (await page.locator("#builder-results table.results caption").innerText()).trim();
    const firstRow = await page.locator("#builder-results table.results tbody tr").first().locator("td")
      .allInnerTexts().catch(() => []);
    return { caption, firstRow };
  });

  report.ms = Date.now() - started;
  clearTimeout(watchdog);
  if (!(report.rows >= 1)) report.error = `rows ${report.rows}, expected at least 1`;
  await finish(report.rows >= 1 ? 0 : 1);
} catch (e) {
  clearTimeout(watchdog);
  report.ms = Date.now() - started;
  report.error = e.message;
  await finish(1);
}
