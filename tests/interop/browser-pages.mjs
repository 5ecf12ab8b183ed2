// pod-server's pages in a real browser: Debian's chromium driven by playwright-core, with axe-core's WCAG 2.1 A/AA rules.
//
//   node tests/interop/browser-pages.mjs BASE_URL OUT_DIR      e.g. http://localhost:4301 /tmp/browser-shots
//
// Needs /usr/bin/chromium (apt-get install chromium; never `npx playwright install`, it downloads a browser of its own)
// and tests/interop/node_modules (tests/interop/install.sh). The server must accept sign-ups (pod-server serve).
//
// Checks, in a French (fr-FR) browser:
//   - `/` and `/.account/signup`: status 200, <html lang="fr">, no console error, no serious or critical axe violation,
//     a full-page screenshot in OUT_DIR;
//   - the sign-up form filled and sent in the browser with a fresh pod name `navig-<random>`: status 201,
//     "Votre pod est prêt", a link to BASE_URL/<name> (the WebID, which answers 200), the same page checks;
//   - the form sent with two different passwords: not created (4xx, and BASE_URL/<name> answers 404), the page says
//     "diffèrent" in an element with role="alert", keeps the typed pod name and does not echo the passwords.
// Prints one JSON report on stdout. Exit 0 if everything holds, 1 otherwise (the report's `failures` says why),
// 2 on bad usage.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { createRequire } from "node:module";

const USAGE = "usage: node browser-pages.mjs BASE_URL OUT_DIR   (e.g. http://localhost:4301 /tmp/shots)";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const PASSWORD = "motdepasse-solide";

const args = process.argv.slice(2);
if (args.length !== 2 || args.includes("-h") || args.includes("--help")) {
  console.error(USAGE);
  process.exit(2);
}
let BASE;
try {
  const u = new URL(args[0]);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
  BASE = u.href.replace(/\/+$/, "");
} catch (e) {
  console.error(`browser-pages: bad BASE_URL ${JSON.stringify(args[0])} (${e.message})\n${USAGE}`);
  process.exit(2);
}
const OUT = path.resolve(args[1]);
try {
  fs.mkdirSync(OUT, { recursive: true });
} catch (e) {
  console.error(`browser-pages: cannot create OUT_DIR ${OUT}: ${e.message}\n${USAGE}`);
  process.exit(2);
}

const require = createRequire(import.meta.url);
let chromium, axeSource, versions;
try {
  ({ chromium } = await import("playwright-core"));
  axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  versions = {
    node: process.versions.node,
    "playwright-core": require("playwright-core/package.json").version,
    "axe-core": require("axe-core/package.json").version,
  };
} catch (e) {
  console.error(`browser-pages: playwright-core / axe-core missing (run tests/interop/install.sh): ${e.message}`);
  process.exit(2);
}

const failures = [];
const report = { base: BASE, outDir: OUT, versions, pages: [], ok: false, failures };

// One check: recorded in its step, and in `failures` when it does not hold.
function check(step, what, ok, got) {
  step.checks.push(got === undefined ? { what, ok } : { what, ok, got });
  if (!ok) failures.push(`${step.step}: ${what}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`);
  return ok;
}

const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
async function runAxe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(
    async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return {
        violations: r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, message: n.failureSummary })),
        })),
        incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
      };
    },
    AXE_TAGS,
  );
}

// The checks every page gets once it is loaded: lang, console errors, axe, screenshot.
async function pageChecks(step, page, consoleErrors, shotName) {
  const lang = await page.getAttribute("html", "lang");
  step.lang = lang;
  step.title = await page.title();
  check(step, '<html lang="fr">', lang === "fr", lang);
  step.screenshot = path.join(OUT, shotName);
  await page.screenshot({ path: step.screenshot, fullPage: true });
  const axe = await runAxe(page);
  step.violations = axe.violations;
  step.incomplete = axe.incomplete;
  const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(step, "no serious or critical axe violation", bad.length === 0,
    bad.length ? bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length} node(s))`) : undefined);
  // Let late console messages (e.g. a failed sub-resource) arrive before judging.
  await page.waitForTimeout(200);
  step.consoleErrors = [...consoleErrors];
  check(step, "no console error", consoleErrors.length === 0, consoleErrors.length ? consoleErrors : undefined);
}

// A new page whose console errors, uncaught exceptions and failed sub-resources land in `errors`.
async function openPage(context, errors) {
  const page = await context.newPage();
  const documents = new Set();
  page.setDefaultTimeout(15_000);
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const where = m.location()?.url;
    // Chromium logs "Failed to load resource" for a document answered with 4xx/5xx too; a page's own status is
    // checked by the step itself (the mismatched sign-up is meant to answer 422), so only other resources count.
    if (/^Failed to load resource/.test(m.text()) && documents.has(where)) return;
    errors.push(`console: ${m.text()}${where ? ` [${where}]` : ""}`);
  });
  page.on("response", (r) => { if (r.request().isNavigationRequest()) documents.add(r.url()); });
  page.on("pageerror", (e) => errors.push(`exception: ${e}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return page;
}

async function visit(context, name, url, shotName) {
  const step = { step: name, url, checks: [] };
  report.pages.push(step);
  const errors = [];
  const page = await openPage(context, errors);
  try {
    const t0 = Date.now();
    const res = await page.goto(url, { waitUntil: "networkidle" });
    step.loadMs = Date.now() - t0;
    step.status = res?.status();
    check(step, "HTTP status 200", step.status === 200, step.status);
    await pageChecks(step, page, errors, shotName);
  } catch (e) {
    check(step, "page could be checked", false, String(e.message ?? e).split("\n")[0]);
  } finally {
    await page.close();
  }
}

// Fills the sign-up form in the browser, sends it with the button and returns the POST's response.
async function submitSignup(step, page, fields) {
  const form = await page.goto(`${BASE}/.account/signup`, { waitUntil: "networkidle" });
  if (!check(step, "the sign-up form loads (200)", form?.status() === 200, form?.status())) return null;
  for (const [field, value] of Object.entries(fields)) {
    await page.locator(`form input[name="${field}"]`).fill(value);
  }
  // Report the browser's own validation (pattern, minlength, required) before sending: an invalid form is never sent.
  const invalid = await page.evaluate(() =>
    [...document.querySelectorAll("form input")].filter((i) => !i.checkValidity())
      .map((i) => ({ name: i.name, message: i.validationMessage })));
  if (!check(step, "the browser accepts the filled form (HTML validation)", invalid.length === 0,
    invalid.length ? invalid : undefined)) return null;
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.url() === `${BASE}/.account/signup`),
    page.locator('form button[type="submit"]').click(),
  ]);
  await page.waitForLoadState("networkidle");
  return res;
}

async function signupCreates(context, request) {
  const name = `navig-${crypto.randomBytes(4).toString("hex")}`;
  const step = { step: "signup-created", url: `${BASE}/.account/signup`, pod: name, checks: [] };
  report.pages.push(step);
  const errors = [];
  const page = await openPage(context, errors);
  try {
    const res = await submitSignup(step, page, {
      name, display_name: `Navigatrice ${name}`, email: `${name}@example.org`,
      password: PASSWORD, password_again: PASSWORD,
    });
    if (!res) return;
    step.status = res.status();
    check(step, "HTTP status 201", step.status === 201, step.status);
    const text = await page.locator("body").innerText();
    check(step, 'page says "Votre pod est prêt"', text.includes("Votre pod est prêt"), text.slice(0, 200));
    const webid = `${BASE}/${name}`;
    const hrefs = await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.href));
    check(step, `a link to ${webid}`, hrefs.includes(webid), hrefs);
    const wres = await request.get(webid);
    step.webidStatus = wres.status();
    check(step, "the linked WebID answers 200", wres.ok(), wres.status());
    await pageChecks(step, page, errors, "signup-created.png");
  } catch (e) {
    check(step, "sign-up could be checked", false, String(e.message ?? e).split("\n")[0]);
  } finally {
    await page.close();
  }
}

async function signupMismatch(context, request) {
  const name = `navig-${crypto.randomBytes(4).toString("hex")}`;
  const step = { step: "signup-mismatch", url: `${BASE}/.account/signup`, pod: name, checks: [] };
  report.pages.push(step);
  const errors = [];
  const page = await openPage(context, errors);
  try {
    const res = await submitSignup(step, page, {
      name, display_name: "", email: "", password: PASSWORD, password_again: "motdepasse-autre",
    });
    if (!res) return;
    step.status = res.status();
    check(step, "HTTP status 4xx (not created)", step.status >= 400 && step.status < 500, step.status);
    const gone = await request.get(`${BASE}/${name}`);
    check(step, `${BASE}/${name} does not exist (404)`, gone.status() === 404, gone.status());
    const text = await page.locator("body").innerText();
    check(step, 'page says "diffèrent"', text.includes("diffèrent"), text.slice(0, 200));
    const alerts = page.getByRole("alert");
    const alertTexts = await alerts.allInnerTexts();
    step.alerts = alertTexts;
    check(step, 'the error is announced (role="alert", visible, says "diffèrent")',
      alertTexts.some((t) => t.includes("diffèrent")) && (await alerts.first().isVisible()), alertTexts);
    const kept = await page.locator('form input[name="name"]').inputValue();
    check(step, "the typed pod name stays in the field", kept === name, kept);
    const pw = await page.evaluate(() =>
      [...document.querySelectorAll('input[type="password"]')].map((i) => i.value).filter((v) => v !== ""));
    check(step, "the passwords are not sent back", pw.length === 0, pw.length ? "password field(s) filled" : undefined);
    await pageChecks(step, page, errors, "signup-mismatch.png");
  } catch (e) {
    check(step, "mismatched sign-up could be checked", false, String(e.message ?? e).split("\n")[0]);
  } finally {
    await page.close();
  }
}

let browser;
try {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing (apt-get install -y chromium)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  versions.chromium = browser.version();
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 800 } });
  const request = context.request;
  await visit(context, "home", `${BASE}/`, "home.png");
  await visit(context, "signup", `${BASE}/.account/signup`, "signup.png");
  await signupCreates(context, request);
  await signupMismatch(context, request);
} catch (e) {
  failures.push(`browser: ${String(e.message ?? e).split("\n")[0]}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}

report.ok = failures.length === 0;
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
