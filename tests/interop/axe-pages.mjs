// Any server's pages in a real browser (Debian's chromium driven by playwright-core) with axe-core's WCAG 2.1
// A/AA rules: each page answers 200, says <html lang="fr">, logs no console error and has no serious or
// critical axe violation; a full-page screenshot of each goes to OUT_DIR.
//
//   node tests/interop/axe-pages.mjs OUT_DIR PAGES_JSON
//   PAGES_JSON: [{"name": "place", "url": "http://localhost:4000/le-6b", "cookie": "kommon_cod_session=…"}, …]
//   ("cookie" is optional: the value of a Cookie header sent with the page's own requests)
//
// Needs /usr/bin/chromium (never `npx playwright install`) and tests/interop/node_modules (install.sh).
// Prints one JSON report on stdout. Exit 0 if every page holds, 1 otherwise, 2 on bad usage.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const USAGE = "usage: node axe-pages.mjs OUT_DIR '[{\"name\":…,\"url\":…,\"cookie\":…}]'";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error(USAGE);
  process.exit(2);
}
const OUT = path.resolve(args[0]);
let pages;
try {
  pages = JSON.parse(args[1]);
  if (!Array.isArray(pages) || pages.some((p) => typeof p.url !== "string" || typeof p.name !== "string")) {
    throw new Error("an array of {name, url, cookie?}");
  }
} catch (e) {
  console.error(`axe-pages: bad PAGES_JSON (${e.message})\n${USAGE}`);
  process.exit(2);
}
fs.mkdirSync(OUT, { recursive: true });
const require = createRequire(import.meta.url);
const { chromium } = await import("playwright-core");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const failures = [];
const report = { pages: [], ok: false, failures };
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
});
try {
  for (const p of pages) {
    const context = await browser.newContext({ locale: "fr-FR" });
    if (p.cookie) {
      const url = new URL(p.url);
      await context.addCookies(
        p.cookie.split(";").map((c) => c.trim()).filter(Boolean).map((c) => {
          const i = c.indexOf("=");
          return { name: c.slice(0, i), value: c.slice(i + 1), domain: url.hostname, path: "/" };
        }),
      );
    }
    const page = await context.newPage();
    const consoleErrors = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    const step = { name: p.name, url: p.url };
    const response = await page.goto(p.url, { waitUntil: "load" });
    step.status = response ? response.status() : null;
    step.lang = await page.getAttribute("html", "lang");
    await page.screenshot({ path: path.join(OUT, `${p.name}.png`), fullPage: true });
    await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) }));
    }, AXE_TAGS);
    await page.waitForTimeout(200);
    step.violations = violations;
    step.consoleErrors = consoleErrors;
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    if (step.status !== 200) failures.push(`${p.name}: status ${step.status}`);
    if (step.lang !== "fr") failures.push(`${p.name}: lang ${step.lang}`);
    if (bad.length) failures.push(`${p.name}: axe ${bad.map((v) => `${v.id} (${v.impact})`).join(", ")}`);
    if (consoleErrors.length) failures.push(`${p.name}: console ${consoleErrors.join(" | ")}`);
    report.pages.push(step);
    await context.close();
  }
} finally {
  await browser.close();
}
report.ok = failures.length === 0;
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
