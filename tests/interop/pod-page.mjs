// pod-server's resident pod page (/.account/pod) used in a real browser: log in, edit the profile, make client
// credentials, export, a refused deletion, log out.
//
//   node tests/interop/pod-page.mjs BASE_URL POD PASSWORD OUT_DIR
//   e.g. node tests/interop/pod-page.mjs http://localhost:4520 alice 'correct horse battery' /tmp/pod-page-shots
//
// Needs /usr/bin/chromium (never `npx playwright install`) and tests/interop/node_modules (tests/interop/install.sh).
// BASE_URL must be the server's own base URL (the one it prints, e.g. http://localhost:PORT, not 127.0.0.1): the
// account forms refuse a POST whose Origin is another origin. The pod POD must exist with password PASSWORD. The run
// changes its profile (made public), makes one client credential "script-test" and keeps the pod.
//
// Steps, in one headless chromium context (fr-FR), so the session cookie carries from step to step:
//   login-page         GET /.account/login: 200, <html lang="fr">, #username/#password/submit, axe WCAG 2.1 A/AA
//                      without serious/critical violations, no console error;
//   login-wrong        the form sent with a wrong password: an element with role="alert", still on /.account/login,
//                      the password not sent back, no session (/.account/pod still answers 303 to the login page);
//   login              the right password: the POST answers 303 to /.account/pod, which answers 200;
//   pod-page           lang="fr", the sections #profile #apps #credentials #export #delete and the logout form, axe,
//                      no console error;
//   profile            name, a bio with accents, a 1×1 PNG photo, two links, a commune, two skills (in two
//                      fieldsets) and #public filled and sent with "Enregistrer": role="status" says "Profil
//                      enregistré"; after a fresh GET every field kept its value (the links as a set: they are
//                      separate triples, their order is only reported, as linksOrderKept), the photo <img> has a
//                      non-empty alt and loads (naturalWidth > 0); the page with the photo passes axe too;
//   public-profile     an anonymous GET of BASE_URL/POD/data/profile (and of its vcard:photo) answers 200 and holds the name;
//   bad-link           the form sent again with another name and a `javascript:alert(1)` link: role="alert", no dialog
//                      opened, and the stored profile (anonymous GET, and the page's fields) still has the saved values;
//   credentials        #label "script-test" and "Créer": #client-id and #client-secret shown; a POST BASE_URL/.oidc/token
//                      from Node (Basic auth, grant_type=client_credentials) answers 200 with an access_token; after a
//                      fresh GET the secret is no longer shown;
//   export             the page's Turtle export link, through the browser's download event: a tar (ustar magic at
//                      offset 257) holding pod.trig, which holds the bio text;
//   delete-wrong       the delete form with a wrong password: role="alert", the pod still exists (WebID 200, the page
//                      still answers for this session). The pod is never deleted;
//   logout             the logout button leads to the login page, and /.account/pod then redirects to the login page.
// Screenshots go to OUT_DIR (with the downloaded archive). Prints one JSON report on stdout ({ok, steps, failures,
// versions, …}; each step lists its checks, navigations and console messages). Exit 0 if everything holds, 1 otherwise,
// 2 on bad usage. Env: CHROMIUM_PATH (default /usr/bin/chromium); POD_PAGE_TIMEOUT (seconds for the whole run,
// default 180).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const USAGE = "usage: node pod-page.mjs BASE_URL POD PASSWORD OUT_DIR   " +
  "(e.g. http://localhost:4520 alice 'correct horse battery' /tmp/pod-page-shots)";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function usage(message) {
  console.error(`pod-page: ${message}\n${USAGE}`);
  process.exit(2);
}
const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) usage("help");
if (args.length !== 4) usage(`expected 4 arguments, got ${args.length}`);
let BASE;
try {
  const u = new URL(args[0]);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
  BASE = u.href.replace(/\/+$/, "");
} catch (e) {
  usage(`bad BASE_URL ${JSON.stringify(args[0])} (${e.message})`);
}
const BASE_ORIGIN = new URL(BASE).origin;
const [, POD, PASSWORD] = args;
if (!POD) usage("empty POD");
if (!PASSWORD) usage("empty PASSWORD");
const OUT = path.resolve(args[3]);
try {
  fs.mkdirSync(OUT, { recursive: true });
} catch (e) {
  usage(`cannot create OUT_DIR ${OUT}: ${e.message}`);
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
  console.error(`pod-page: playwright-core / axe-core missing (run tests/interop/install.sh): ${e.message}`);
  process.exit(2);
}

// What the run writes. The bio's accents (and the name's) check the round trip of non-ASCII text through the
// multipart form, the stored RDF, the page and the TriG export.
const WRONG_PASSWORD = "pas-le-bon-mot-de-passe";
const RUN = Date.now().toString(36);
const NAME = `Amélie Test ${RUN}`;
const BIO = `Présentation : j'anime un atelier vélo à Saint-Denis, été comme hiver, où l'on répare ensemble (${RUN}).`;
const LINKS = [`https://example.org/amelie-${RUN}`, "https://velo.example.net/atelier?jour=mercredi"];
const BAD_LINK = "javascript:alert(1)";
const CREDENTIALS_LABEL = "script-test";
// A valid 1×1 PNG (RGBA, one opaque pixel).
const PNG_1x1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

const failures = [];
const steps = [];
const report = { ok: false, base: BASE, pod: POD, outDir: OUT, versions, steps, failures };
let browser;
let printed = false;
async function finish() {
  if (printed) return;
  printed = true;
  if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  report.ok = failures.length === 0;
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.ok ? 0 : 1);
}
const TIMEOUT_S = Number(process.env.POD_PAGE_TIMEOUT || 180);
setTimeout(() => {
  failures.push(`timeout: the whole run took more than ${TIMEOUT_S} s`);
  finish();
}, TIMEOUT_S * 1000).unref();

const firstLine = (e) => String(e?.message ?? e).split("\n")[0];
function check(step, what, ok, got) {
  step.checks.push(got === undefined ? { what, ok } : { what, ok, got });
  if (!ok) failures.push(`${step.step}: ${what}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`);
  return ok;
}
const onBase = (url) => { try { return new URL(url).origin === BASE_ORIGIN; } catch { return false; } };
const pathOf = (url) => { try { return new URL(url).pathname; } catch { return null; } };

const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
async function runAxe(p) {
  // Evaluated through the DevTools protocol rather than added as a <script>: a page's CSP (script-src) applies to an
  // added script tag, not to this, so axe runs on pages with a strict CSP without adding a console error.
  await p.evaluate(`${axeSource}\n;undefined`);
  return p.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return {
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, message: n.failureSummary })) })),
      incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    };
  }, AXE_TAGS);
}

// The one page of the run. Navigations, console messages and failed requests land in the current step.
let current = null;
const documents = new Set();
async function openPage(context) {
  const p = await context.newPage();
  p.setDefaultTimeout(15_000);
  p.on("response", (r) => {
    if (r.request().isNavigationRequest() && r.frame() === p.mainFrame()) {
      documents.add(r.url());
      current?.navigations.push({ method: r.request().method(), url: r.url(), status: r.status() });
    }
  });
  p.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") {
      current?.console.push({ type: m.type(), text: m.text(), url: m.location()?.url || undefined });
    }
  });
  p.on("pageerror", (e) => current?.console.push({ type: "exception", text: String(e), url: p.url() }));
  p.on("requestfailed", (r) => current?.console.push({ type: "requestfailed",
    text: `${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`, url: r.url() }));
  p.on("dialog", (d) => {
    current?.console.push({ type: "dialog", text: `${d.type()}: ${d.message()}`, url: p.url() });
    d.dismiss().catch(() => {});
  });
  return p;
}
function newStep(name) {
  const step = { step: name, checks: [], navigations: [], console: [] };
  steps.push(step);
  current = step;
  return step;
}
const lastStatus = (step) => step.navigations.at(-1)?.status;
async function snippet(p) {
  return (await p.locator("body").innerText().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 300);
}
async function where(step, p, e) {
  const errors = step.console.filter((c) => c.type !== "warning").slice(-3).map((c) => c.text.trim());
  return { url: p.url(), status: lastStatus(step), text: await snippet(p), consoleErrors: errors.length ? errors : undefined,
    error: e ? firstLine(e) : undefined };
}
// The console errors a step's pages caused. Not counted: a navigation cancelled by the browser (net::ERR_ABORTED, e.g.
// a link answered as a download), and Chromium's "Failed to load resource" for a document whose 4xx status the step
// checks itself (a refused login answers 401, a refused form 422).
function consoleErrors(step) {
  return step.console.filter((c) => c.type !== "warning" && onBase(c.url ?? BASE) &&
    !(c.type === "requestfailed" && c.text.endsWith("net::ERR_ABORTED")) &&
    !(c.type === "error" && /^Failed to load resource/.test(c.text) && documents.has(c.url)));
}
async function noConsoleError(step, p) {
  await p.waitForTimeout(200);
  const errors = consoleErrors(step);
  step.consoleErrors = errors;
  return check(step, "no console error", errors.length === 0, errors.length ? errors.map((c) => c.text) : undefined);
}

// lang, screenshot, axe (the violations are kept in the step in full: rule, impact, elements), console errors.
async function pageChecks(step, p, shot) {
  step.url = p.url();
  step.lang = await p.getAttribute("html", "lang").catch(() => null);
  step.title = await p.title();
  check(step, '<html lang="fr">', step.lang === "fr", step.lang);
  step.screenshot = path.join(OUT, shot);
  await p.screenshot({ path: step.screenshot, fullPage: true });
  const axe = await runAxe(p);
  step.violations = axe.violations;
  step.incomplete = axe.incomplete;
  const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(step, "no serious or critical axe violation", bad.length === 0,
    bad.length ? bad.map((v) => ({ rule: v.id, impact: v.impact, elements: v.nodes.map((n) => n.target.join(" ")) }))
      : undefined);
  await noConsoleError(step, p);
}

// Clicks `button` and waits for the POST to `action` and the page it leads to. Returns the POST's response.
async function submit(p, action, button) {
  const [res] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === "POST" && pathOf(r.url()) === action &&
      r.request().frame() === p.mainFrame()),
    button.click(),
  ]);
  await p.waitForLoadState("load");
  return res;
}
// role=alert / role=status texts of the page.
async function roleTexts(p, role) {
  return (await p.getByRole(role).allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
}
// A GET from Node without the browser's cookie, redirects not followed.
async function anon(url, init = {}) {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, contentType: res.headers.get("content-type"), location: res.headers.get("location"),
    body: Buffer.from(await res.arrayBuffer()) };
}
// The session's GET /.account/pod without following the redirect (context.request shares the browser's cookies).
async function podPageStatus(context) {
  const r = await context.request.get(`${BASE}/.account/pod`, { maxRedirects: 0 });
  return { status: r.status(), location: r.headers().location ?? null };
}
// What the profile form shows.
async function formValues(p) {
  return p.evaluate(() => ({
    name: document.querySelector("#name")?.value ?? null,
    bio: document.querySelector("#bio")?.value ?? null,
    links: (document.querySelector("#links")?.value ?? "").split(/\r?\n/).map((l) => l.trim()).filter(Boolean),
    commune: document.querySelector("#commune")?.value ?? null,
    skills: [...document.querySelectorAll('input[type="checkbox"][name="skill"]:checked')].map((i) => i.value).sort(),
    public: document.querySelector("#public")?.checked ?? null,
  }));
}
// The names and contents of the files of a tar archive (ustar / GNU headers; enough for the export).
function untar(buf) {
  const files = [];
  for (let off = 0; off + 512 <= buf.length;) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a, b) => header.subarray(a, b).toString("utf8").replace(/\0.*$/s, "");
    const prefix = str(345, 500);
    const name = (header.subarray(257, 262).toString() === "ustar" && prefix && header[156] !== 76 ? `${prefix}/` : "") +
      str(0, 100);
    const size = parseInt(str(124, 136).trim() || "0", 8);
    files.push({ name, type: String.fromCharCode(header[156] || 48), size,
      data: buf.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

const state = {};

async function stepLoginPage(p) {
  const step = newStep("login-page");
  const res = await p.goto(`${BASE}/.account/login`, { waitUntil: "load" });
  step.status = res?.status();
  check(step, "GET /.account/login answers 200", step.status === 200, step.status);
  check(step, "the form has #username, #password and a submit button",
    (await p.locator("#username").count()) === 1 && (await p.locator("#password").count()) === 1 &&
      (await p.locator('form[action="/.account/login"] button[type="submit"]').count()) === 1);
  await pageChecks(step, p, "login-page.png");
}

async function stepLoginWrong(p, context) {
  const step = newStep("login-wrong");
  await p.goto(`${BASE}/.account/login`, { waitUntil: "load" });
  await p.locator("#username").fill(POD);
  await p.locator("#password").fill(WRONG_PASSWORD);
  const res = await submit(p, "/.account/login", p.locator('form[action="/.account/login"] button[type="submit"]'));
  step.status = res.status();
  check(step, "the POST answers 401 (not a redirect)", step.status === 401,
    step.status === 403 ? { status: 403, hint: "the Origin was refused: is BASE_URL the server's own base URL?" }
      : step.status);
  step.alerts = await roleTexts(p, "alert");
  check(step, 'an element with role="alert" says why, and is visible',
    step.alerts.some((t) => t !== "") && (await p.getByRole("alert").first().isVisible()), step.alerts);
  check(step, "still on the login page (/.account/login with #username)",
    pathOf(p.url()) === "/.account/login" && (await p.locator("#username").count()) === 1, p.url());
  const pw = await p.locator("#password").inputValue().catch(() => null);
  check(step, "the password is not sent back", !pw, pw ? "the password field is filled" : undefined);
  const html = await p.content();
  check(step, "the page does not contain the wrong password", !html.includes(WRONG_PASSWORD));
  const session = await podPageStatus(context);
  step.podPage = session;
  check(step, "no session: /.account/pod still answers 303 to the login page",
    session.status === 303 && pathOf(new URL(session.location ?? "", BASE).href) === "/.account/login", session);
  await pageChecks(step, p, "login-wrong.png");
}

async function stepLogin(p) {
  const step = newStep("login");
  await p.goto(`${BASE}/.account/login`, { waitUntil: "load" });
  await p.locator("#username").fill(POD);
  await p.locator("#password").fill(PASSWORD);
  const res = await submit(p, "/.account/login", p.locator('form[action="/.account/login"] button[type="submit"]'));
  step.status = res.status();
  step.location = res.headers().location ?? null;
  check(step, "the POST answers 303 to /.account/pod", step.status === 303 &&
    pathOf(new URL(step.location ?? "", BASE).href) === "/.account/pod",
    step.status === 403 ? { status: 403, hint: "the Origin was refused: is BASE_URL the server's own base URL?" }
      : { status: step.status, location: step.location, text: step.status === 303 ? undefined : await snippet(p) });
  check(step, "the browser lands on /.account/pod with status 200",
    pathOf(p.url()) === "/.account/pod" && lastStatus(step) === 200, { url: p.url(), status: lastStatus(step) });
  return pathOf(p.url()) === "/.account/pod";
}

async function stepPodPage(p) {
  const step = newStep("pod-page");
  const res = await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  step.status = res?.status();
  check(step, "GET /.account/pod answers 200", step.status === 200 && pathOf(p.url()) === "/.account/pod",
    { status: step.status, url: p.url() });
  const sections = {};
  for (const id of ["profile", "apps", "credentials", "export", "delete"]) {
    sections[id] = await p.locator(`#${id}`).count();
  }
  check(step, "the sections #profile, #apps, #credentials, #export and #delete are there",
    Object.values(sections).every((n) => n === 1), sections);
  check(step, "a logout form (POST /.account/logout)",
    (await p.locator('form[action="/.account/logout"] button[type="submit"]').count()) === 1);
  const fields = {};
  for (const sel of ["#name", "textarea#bio", 'input#photo[type="file"]', "textarea#links", "select#commune",
    "#public", "#label", "#confirm-password"]) fields[sel] = await p.locator(sel).count();
  check(step, "the profile, credentials and delete forms have their fields",
    Object.values(fields).every((n) => n === 1), fields);
  step.skillCheckboxes = await p.locator('fieldset input[type="checkbox"][name="skill"]').count();
  step.skillFieldsets = await p.locator('fieldset:has(input[name="skill"])').count();
  check(step, "skill checkboxes in at least two fieldsets", step.skillFieldsets >= 2,
    { fieldsets: step.skillFieldsets, checkboxes: step.skillCheckboxes });
  await pageChecks(step, p, "pod-page.png");
}

async function stepProfile(p) {
  const step = newStep("profile");
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  // A commune: Saint-Denis if listed, else the first one.
  const options = await p.locator("#commune option").evaluateAll((os) => os.map((o) => ({ value: o.value,
    label: o.textContent.trim() })).filter((o) => o.value));
  if (!check(step, "the commune list is not empty", options.length > 0)) return;
  const commune = options.find((o) => o.label === "Saint-Denis") ?? options[0];
  // Two skills: the first one of the first two fieldsets.
  const skills = await p.locator('fieldset:has(input[name="skill"])').evaluateAll((fs) =>
    fs.slice(0, 2).map((f) => f.querySelector('input[name="skill"]')).map((i) => ({ id: i.id, value: i.value })));
  if (!check(step, "two skills to tick", skills.length === 2, skills)) return;
  state.expected = { name: NAME, bio: BIO, links: [...LINKS].sort(), commune: commune.value,
    skills: skills.map((s) => s.value).sort(), public: true };
  step.sent = { ...state.expected, photo: `photo.png (${PNG_1x1.length} bytes)` };

  await p.locator("#name").fill(NAME);
  await p.locator("#bio").fill(BIO);
  await p.locator("#photo").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: PNG_1x1 });
  await p.locator("#links").fill(LINKS.join("\n"));
  await p.locator("#commune").selectOption(commune.value);
  for (const s of skills) await p.locator(`#${s.id}`).check();
  await p.locator("#public").check();
  const res = await submit(p, "/.account/profile",
    p.locator('form[action="/.account/profile"] button[type="submit"]', { hasText: "Enregistrer" }));
  step.status = res.status();
  check(step, "the POST answers 200", step.status === 200, step.status === 200 ? undefined
    : { status: step.status, alerts: await roleTexts(p, "alert"), text: await snippet(p) });
  step.statusTexts = await roleTexts(p, "status");
  check(step, 'role="status" says "Profil enregistré"', step.statusTexts.some((t) => t.includes("Profil enregistré")),
    { status: step.statusTexts, alerts: await roleTexts(p, "alert") });
  await p.screenshot({ path: path.join(OUT, "profile-saved.png"), fullPage: true });

  // A fresh GET (not a reload, which would send the form again).
  const again = await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  check(step, "GET /.account/pod again answers 200", again?.status() === 200, again?.status());
  const shown = await formValues(p);
  step.shown = shown;
  // The links are separate triples of the profile (an RDF set): their order is not kept, only the set is compared.
  step.linksOrderKept = JSON.stringify(shown.links) === JSON.stringify(LINKS);
  shown.links = [...shown.links].sort();
  for (const key of Object.keys(state.expected)) {
    check(step, `after the reload, ${key} kept its value`,
      JSON.stringify(shown[key]) === JSON.stringify(state.expected[key]),
      JSON.stringify(shown[key]) === JSON.stringify(state.expected[key]) ? undefined
        : { shown: shown[key], sent: state.expected[key] });
  }
  // The photo: the <img> the form shows above the file input.
  const img = p.locator('form[action="/.account/profile"] img').first();
  if (check(step, "the profile form shows the photo (<img>)", (await img.count()) === 1)) {
    await img.evaluate((i) => i.complete || new Promise((r) => { i.onload = r; i.onerror = r; }));
    const info = await img.evaluate((i) => ({ src: i.src, alt: i.getAttribute("alt"), naturalWidth: i.naturalWidth,
      naturalHeight: i.naturalHeight }));
    step.photo = info;
    state.photoUrl = info.src;
    check(step, "the photo <img> has a non-empty alt", typeof info.alt === "string" && info.alt.trim() !== "",
      info.alt);
    check(step, "the photo loads (naturalWidth > 0)", info.naturalWidth > 0, info);
  }
  await pageChecks(step, p, "profile-reloaded.png");
}

async function stepPublicProfile() {
  const step = newStep("public-profile");
  const url = `${BASE}/${POD}/data/profile`;
  const r = await anon(url, { headers: { Accept: "text/turtle" } });
  step.url = url;
  step.status = r.status;
  step.contentType = r.contentType;
  const body = r.body.toString("utf8");
  check(step, "an anonymous GET of the profile answers 200 (public)", r.status === 200, r.status);
  check(step, "it contains the name", body.includes(NAME), body.slice(0, 400));
  check(step, "it contains the bio", body.includes(BIO), body.includes(BIO) ? undefined : body.slice(0, 600));
  // The page shows the photo through its own route (/.account/photo, the session's); the photo's
  // own URL is the profile's vcard:photo, public like the profile.
  const doc = await anon(url, { headers: { Accept: "application/ld+json" } });
  let photoUrl = null;
  try {
    const j = JSON.parse(doc.body.toString("utf8"));
    const v = j["vcard:photo"];
    photoUrl = typeof v === "string" ? v : v && (v.id || v["@id"]);
  } catch { /* reported below */ }
  check(step, "the profile names its photo (vcard:photo)", !!photoUrl, doc.body.toString("utf8").slice(0, 400));
  if (photoUrl) {
    state.photoUrl = photoUrl;
    const ph = await anon(state.photoUrl);
    step.photo = { url: state.photoUrl, status: ph.status, contentType: ph.contentType, bytes: ph.body.length };
    check(step, "an anonymous GET of the photo answers 200 with the PNG sent",
      ph.status === 200 && ph.body.equals(PNG_1x1), step.photo);
  }
}

async function stepBadLink(p) {
  const step = newStep("bad-link");
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  const otherName = `Nom refusé ${RUN}`;
  await p.locator("#name").fill(otherName);
  await p.locator("#links").fill([LINKS[0], BAD_LINK].join("\n"));
  const res = await submit(p, "/.account/profile",
    p.locator('form[action="/.account/profile"] button[type="submit"]', { hasText: "Enregistrer" }));
  step.status = res.status();
  check(step, "the POST is refused (4xx)", step.status >= 400 && step.status < 500, step.status);
  step.alerts = await roleTexts(p, "alert");
  check(step, 'an element with role="alert" names the bad link, and is visible',
    step.alerts.some((t) => t.includes(BAD_LINK)) && (await p.getByRole("alert").first().isVisible()), step.alerts);
  step.statusTexts = await roleTexts(p, "status");
  check(step, 'no role="status" saying "Profil enregistré"',
    !step.statusTexts.some((t) => t.includes("Profil enregistré")), step.statusTexts);
  check(step, "no dialog was opened", !step.console.some((c) => c.type === "dialog"),
    step.console.filter((c) => c.type === "dialog"));
  await pageChecks(step, p, "bad-link.png");
  const url = `${BASE}/${POD}/data/profile`;
  const r = await anon(url, { headers: { Accept: "text/turtle" } });
  const body = r.body.toString("utf8");
  step.stored = { status: r.status, body: body.slice(0, 2000) };
  check(step, "the stored profile still has the saved name", r.status === 200 && body.includes(NAME) &&
    !body.includes(otherName), { status: r.status });
  check(step, "the stored profile still has both saved links and not the bad one",
    LINKS.every((l) => body.includes(l)) && !body.includes(BAD_LINK));
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  const shown = await formValues(p);
  shown.links = [...shown.links].sort();
  check(step, "the page's fields still show the saved values",
    JSON.stringify(shown) === JSON.stringify(state.expected), { shown, saved: state.expected });
}

async function stepCredentials(p) {
  const step = newStep("credentials");
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  await p.locator("#label").fill(CREDENTIALS_LABEL);
  const res = await submit(p, "/.account/credentials",
    p.locator('form[action="/.account/credentials"] button[type="submit"]', { hasText: "Créer" }));
  step.status = res.status();
  check(step, "the POST answers 200", step.status === 200,
    { status: step.status, alerts: await roleTexts(p, "alert") });
  const id = (await p.locator("code#client-id").count()) ? (await p.locator("code#client-id").innerText()).trim() : "";
  const secret = (await p.locator("code#client-secret").count())
    ? (await p.locator("code#client-secret").innerText()).trim() : "";
  step.clientId = id;
  step.secretLength = secret.length;
  if (!check(step, "the page shows <code id=client-id> and <code id=client-secret>", id !== "" && secret !== "",
    { clientId: id, secretLength: secret.length, text: id && secret ? undefined : await snippet(p) })) return;
  const items = await p.locator("li", { has: p.locator(`form[action="/.account/credentials/delete"]`) })
    .allInnerTexts();
  check(step, `the list of credentials has "${CREDENTIALS_LABEL}" with its client_id`,
    items.some((t) => t.includes(CREDENTIALS_LABEL) && t.includes(id)), items);
  await p.screenshot({ path: path.join(OUT, "credentials.png"), fullPage: true });
  await noConsoleError(step, p);

  const form = (k) => encodeURIComponent(k).replace(/%20/g, "+");
  const basic = Buffer.from(`${form(id)}:${form(secret)}`).toString("base64");
  const tokenUrl = `${BASE}/.oidc/token`;
  let tokenRes, tokenBody;
  try {
    tokenRes = await fetch(tokenUrl, { method: "POST", headers: { Authorization: `Basic ${basic}`,
      "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: "grant_type=client_credentials" });
    tokenBody = await tokenRes.text();
  } catch (e) {
    check(step, `POST ${tokenUrl} could be sent`, false, firstLine(e));
    return;
  }
  let json = null;
  try { json = JSON.parse(tokenBody); } catch { /* reported below */ }
  step.token = { status: tokenRes.status, token_type: json?.token_type, scope: json?.scope,
    expires_in: json?.expires_in, hasAccessToken: typeof json?.access_token === "string",
    error: json?.error, error_description: json?.error_description };
  check(step, "client_credentials at the token endpoint (Basic auth) answers 200 with an access_token",
    tokenRes.status === 200 && typeof json?.access_token === "string" && json.access_token !== "",
    tokenRes.status === 200 && json?.access_token ? undefined : { status: tokenRes.status, body: tokenBody.slice(0, 300) });
  // The secret is shown once.
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  const html = await p.content();
  check(step, "after a fresh GET the secret is no longer on the page",
    !html.includes(secret) && (await p.locator("code#client-secret").count()) === 0);
}

async function stepExport(p) {
  const step = newStep("export");
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  const link = p.locator('a[href="/.account/export?format=turtle"]');
  check(step, "the page links /.account/export?format=jsonld too",
    (await p.locator('a[href="/.account/export?format=jsonld"]').count()) === 1);
  if (!check(step, "the page links /.account/export?format=turtle", (await link.count()) === 1)) return;
  let download;
  try {
    [download] = await Promise.all([p.waitForEvent("download", { timeout: 30_000 }), link.click()]);
  } catch (e) {
    check(step, "clicking the Turtle export link starts a download", false, await where(step, p, e));
    return;
  }
  step.suggestedFilename = download.suggestedFilename();
  step.file = path.join(OUT, "export-turtle.tar");
  await download.saveAs(step.file);
  const failure = await download.failure();
  if (!check(step, "the download completes", failure === null, failure)) return;
  const buf = fs.readFileSync(step.file);
  step.bytes = buf.length;
  const magic = buf.subarray(257, 262).toString("latin1");
  check(step, "the file is a tar (\"ustar\" at offset 257)", magic === "ustar", magic);
  check(step, "the suggested file name ends in .tar", step.suggestedFilename.endsWith(".tar"), step.suggestedFilename);
  let files = [];
  try { files = untar(buf); } catch (e) { check(step, "the tar can be read", false, firstLine(e)); }
  step.entries = files.map((f) => ({ name: f.name, size: f.size }));
  const trig = files.find((f) => f.name === "pod.trig");
  if (!check(step, "the archive holds pod.trig", Boolean(trig), step.entries)) return;
  const text = trig.data.toString("utf8");
  check(step, "pod.trig holds the bio text (UTF-8, unescaped)", text.includes(BIO),
    text.includes(BIO) ? undefined : { escapedForm: text.includes(JSON.stringify(BIO).slice(1, -1)),
      around: text.slice(Math.max(0, text.indexOf("Pr") - 40), text.indexOf("Pr") + 200) });
  await p.waitForTimeout(200);
  check(step, "still on /.account/pod after the download", pathOf(p.url()) === "/.account/pod", p.url());
  await noConsoleError(step, p);
}

async function stepDeleteWrong(p, context) {
  const step = newStep("delete-wrong");
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  await p.locator("#confirm-password").fill(WRONG_PASSWORD);
  const res = await submit(p, "/.account/delete", p.locator('form[action="/.account/delete"] button[type="submit"]'));
  step.status = res.status();
  check(step, "the POST is refused (4xx)", step.status >= 400 && step.status < 500, step.status);
  step.alerts = await roleTexts(p, "alert");
  check(step, 'an element with role="alert" says the pod is not deleted, and is visible',
    step.alerts.some((t) => t !== "") && (await p.getByRole("alert").first().isVisible()), step.alerts);
  const pw = await p.locator("#confirm-password").inputValue().catch(() => null);
  check(step, "the password is not sent back", !pw, pw ? "the field is filled" : undefined);
  await pageChecks(step, p, "delete-wrong.png");
  const webid = await anon(`${BASE}/${POD}`, { headers: { Accept: "text/turtle" } });
  step.webidStatus = webid.status;
  check(step, "the pod still exists (its WebID answers 200)", webid.status === 200, webid.status);
  const profile = await anon(`${BASE}/${POD}/data/profile`, { headers: { Accept: "text/turtle" } });
  check(step, "the profile is still there", profile.status === 200 && profile.body.toString("utf8").includes(NAME),
    profile.status);
  const session = await podPageStatus(context);
  check(step, "the session still works (/.account/pod answers 200)", session.status === 200, session);
}

async function stepLogout(p, context) {
  const step = newStep("logout");
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  const res = await submit(p, "/.account/logout", p.locator('form[action="/.account/logout"] button[type="submit"]'));
  step.status = res.status();
  check(step, "the logout POST answers 303", step.status === 303, step.status);
  check(step, "the browser lands on the login page", pathOf(p.url()) === "/.account/login" &&
    (await p.locator("#username").count()) === 1, p.url());
  const session = await podPageStatus(context);
  step.podPage = session;
  check(step, "/.account/pod now answers 303 to the login page",
    session.status === 303 && pathOf(new URL(session.location ?? "", BASE).href) === "/.account/login", session);
  await p.goto(`${BASE}/.account/pod`, { waitUntil: "load" });
  check(step, "in the browser, /.account/pod leads to the login form",
    pathOf(p.url()) === "/.account/login" && (await p.locator("#username").count()) === 1, p.url());
  step.screenshot = path.join(OUT, "logout.png");
  await p.screenshot({ path: step.screenshot, fullPage: true });
  const exp = await context.request.get(`${BASE}/.account/export?format=turtle`, { maxRedirects: 0 });
  check(step, "the export is no longer available (not 200)", exp.status() !== 200, exp.status());
  await noConsoleError(step, p);
}

// Runs one step; an exception fails it (and is reported) without stopping the others.
async function guarded(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const step = current?.step === name ? current : newStep(name);
    check(step, `the ${name} step could be walked`, false, firstLine(e));
    return undefined;
  }
}

try {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing (apt-get install -y chromium)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  versions.chromium = browser.version();
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 800 },
    acceptDownloads: true });
  const p = await openPage(context);
  await guarded("login-page", () => stepLoginPage(p));
  await guarded("login-wrong", () => stepLoginWrong(p, context));
  if (await guarded("login", () => stepLogin(p))) {
    await guarded("pod-page", () => stepPodPage(p));
    await guarded("profile", () => stepProfile(p));
    if (state.expected) {
      await guarded("public-profile", () => stepPublicProfile());
      await guarded("bad-link", () => stepBadLink(p));
    }
    await guarded("credentials", () => stepCredentials(p));
    await guarded("export", () => stepExport(p));
    await guarded("delete-wrong", () => stepDeleteWrong(p, context));
    await guarded("logout", () => stepLogout(p, context));
  }
} catch (e) {
  failures.push(`browser: ${firstLine(e)}`);
}
await finish();
