// Kommon's widgets on another site, in a real browser (Debian's chromium driven by
// playwright-core): a static page that looks like a place's own website, served from another
// origin (its own port), embeds each view three ways — the script's custom elements, iframes,
// and an oEmbed consumer that reads the place page's discovery link and inserts the answer's
// HTML — then checks that each renders the place's data, that a form sent from the custom
// element and one sent from the iframe land (the test then looks in the moderation queue),
// that there is no console error, that axe-core finds no serious or critical violation on the
// host page (shadow roots included), and how long each custom element took to render.
//
//   node tests/interop/widgets.mjs CONFIG_JSON
//   CONFIG_JSON: {"server": "http://localhost:4001", "place": "le-6b", "placeName": "Le 6B",
//                 "expect": {"residents": "Ana", "agenda": "Atelier", "calls": "Bancs"},
//                 "out": "/tmp/shots"}
// Prints one JSON report; exit 0 if everything holds, 1 otherwise, 2 on bad usage.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
let cfg;
try {
  cfg = JSON.parse(process.argv[2]);
  if (!cfg.server || !cfg.place || !cfg.expect) throw new Error("server, place and expect are required");
} catch (e) {
  console.error(`widgets: bad CONFIG_JSON (${e.message})`);
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { chromium } = await import("playwright-core");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const S = cfg.server;
const P = cfg.place;
const failures = [];
const report = { ok: false, failures, renderMs: {}, iframes: {}, oembed: null };

// The oEmbed consumer's part: discovery on the place's page, then the JSON.
const placePage = await (await fetch(`${S}/${P}`, { headers: { accept: "text/html" } })).text();
const discovery = placePage.match(/<link rel="alternate" type="application\/json\+oembed" href="([^"]+)"/);
let oembedHtml = "";
if (!discovery) {
  failures.push("no oEmbed discovery link on the place's page");
} else {
  const href = discovery[1].replaceAll("&amp;", "&");
  const r = await fetch(href);
  const o = await r.json();
  report.oembed = o;
  // oEmbed 1.0 §2.3.4: version and type always; for rich, html, width and height.
  for (const k of ["version", "type", "html", "width", "height"]) {
    if (o[k] === undefined) failures.push(`oEmbed: ${k} missing`);
  }
  if (o.version !== "1.0") failures.push(`oEmbed: version ${o.version}`);
  if (o.type !== "rich") failures.push(`oEmbed: type ${o.type}`);
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height)) failures.push("oEmbed: width and height must be integers");
  oembedHtml = o.html || "";
}

// The host page keeps moving while the views arrive and the iframes take their height: a
// click can land while an element shifts. Tried again, as a person would.
async function check(locator) {
  for (let i = 0; ; i++) {
    try {
      await locator.check({ timeout: 3000 });
      return;
    } catch (e) {
      if (i >= 3) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

const host = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>${cfg.placeName} — site du lieu</title>
<style>
  body { font-family: Georgia, serif; margin: 0; color: #222; }
  header { background: #2d1b4e; color: #fff; padding: 1rem 2rem; }
  main { max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; }
  kommon-residents, kommon-agenda, kommon-calls, kommon-form, kommon-map {
    --kommon-accent: #7a2d8c; --kommon-font: Georgia, serif; margin: 1rem 0;
  }
</style>
<script src="${S}/embed.js" defer></script></head>
<body><header><p><strong>${cfg.placeName}</strong> — le site du lieu</p></header>
<main>
<h1>Bienvenue au ${cfg.placeName}</h1>
<section><h2>Nos résident·es (script)</h2><kommon-residents id="w-residents" server="${S}" place="${P}"></kommon-residents></section>
<section><h2>Agenda (script)</h2><kommon-agenda id="w-agenda" server="${S}" place="${P}"></kommon-agenda></section>
<section><h2>Appels à bénévoles (script)</h2><kommon-calls id="w-calls" server="${S}" place="${P}"></kommon-calls></section>
<section><h2>Carte (script)</h2><kommon-map id="w-map" server="${S}" place="${P}"></kommon-map></section>
<section><h2>Proposer son aide (script)</h2><kommon-form id="w-form" server="${S}" place="${P}" type="benevolat"></kommon-form></section>
<section><h2>Devenir résident·e (script)</h2><kommon-form id="w-join" server="${S}" place="${P}" type="adhesion"></kommon-form></section>
<section><h2>Agenda (iframe)</h2><iframe id="f-agenda" data-kommon src="${S}/embed/${P}/agenda" title="Agenda du lieu" style="width:100%;border:0;height:120px"></iframe></section>
<section><h2>Proposer son aide (iframe)</h2><iframe id="f-form" data-kommon src="${S}/embed/${P}/benevolat" title="Proposer son aide" style="width:100%;border:0;height:120px"></iframe></section>
<section id="oembed"><h2>Résidentothèque (oEmbed)</h2>${oembedHtml}</section>
</main></body></html>`;

const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(host);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const hostUrl = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
});
try {
  const page = await browser.newPage({ locale: "fr-FR" });
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(hostUrl, { waitUntil: "load" });
  const shadowText = (id) => page.evaluate((i) => document.getElementById(i)?.shadowRoot?.textContent ?? "", id);
  for (const [id, want] of [["w-residents", cfg.expect.residents], ["w-agenda", cfg.expect.agenda], ["w-calls", cfg.expect.calls], ["w-map", cfg.placeName], ["w-form", "Envoyer"], ["w-join", "pod"]]) {
    try {
      await page.waitForFunction((a) => (document.getElementById(a[0])?.shadowRoot?.textContent ?? "").includes(a[1]), [id, want], { timeout: 10000 });
    } catch {
      failures.push(`${id}: "${want}" not rendered (got: ${(await shadowText(id)).slice(0, 200)})`);
    }
    report.renderMs[id] = Number(await page.evaluate((i) => document.getElementById(i)?.dataset.renderedMs ?? "NaN", id));
  }
  // The theme reaches into the shadow root.
  const accent = await page.evaluate(() => {
    const a = document.getElementById("w-residents").shadowRoot.querySelector("a");
    return a ? getComputedStyle(a).color : null;
  });
  report.accent = accent;
  if (accent !== "rgb(122, 45, 140)") failures.push(`theme: links are ${accent}, not the host's accent`);
  // Iframes: the place's data, their title, their height following their content.
  for (const [id, want] of [["f-agenda", cfg.expect.agenda], ["f-form", "Envoyer"]]) {
    const frame = page.frameLocator(`#${id}`);
    try {
      await frame.locator("body").getByText(want, { exact: false }).first().waitFor({ timeout: 10000 });
    } catch {
      failures.push(`${id}: "${want}" not in the iframe`);
    }
    try {
      await page.waitForFunction((i) => document.getElementById(i).getBoundingClientRect().height > 130, id, { timeout: 10000 });
    } catch {}
    const height = await page.evaluate((i) => document.getElementById(i).getBoundingClientRect().height, id);
    report.iframes[id] = { height };
    if (height <= 130) failures.push(`${id}: did not size itself (height ${height})`);
  }
  // oEmbed's iframe shows the résidentothèque.
  const oembedFrame = page.frameLocator("#oembed iframe");
  try {
    await oembedFrame.locator("body").getByText(cfg.expect.residents, { exact: false }).first().waitFor({ timeout: 10000 });
  } catch {
    failures.push("oEmbed: the inserted iframe does not show the residents");
  }
  // A form from the custom element: an error first (no consent is a browser check, so an empty
  // message is sent by script), then a real one.
  const form = page.locator("#w-form");
  await form.locator('input[name="nom"]').fill("Inès du site");
  await form.locator('input[name="courriel"]').fill("ines.widget@example.org");
  await form.locator('textarea[name="message"]').fill("Je fais de la menuiserie, du travail du bois.");
  await check(form.locator('input[name="consentement"]'));
  await form.locator("button").click();
  try {
    await page.waitForFunction(() => (document.getElementById("w-form").shadowRoot.textContent || "").includes("Merci"), null, { timeout: 10000 });
  } catch {
    failures.push(`form (script): no thanks (got: ${(await shadowText("w-form")).slice(0, 300)})`);
  }
  // A form from the iframe.
  const f = page.frameLocator("#f-form");
  await f.locator('input[name="nom"]').fill("Omar de l'iframe");
  await f.locator('input[name="courriel"]').fill("omar.widget@example.org");
  await f.locator('textarea[name="message"]').fill("Je peux aider en céramique.");
  await check(f.locator('input[name="consentement"]'));
  await f.locator("button").click();
  try {
    await f.locator("body").getByText("Merci", { exact: false }).first().waitFor({ timeout: 10000 });
  } catch {
    failures.push("form (iframe): no thanks");
  }
  await page.screenshot({ path: path.join(cfg.out || "/tmp", "widgets-host.png"), fullPage: true });
  // axe on the host page, shadow roots included.
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) }));
  });
  report.violations = violations;
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) failures.push(`axe: ${bad.map((v) => `${v.id} (${v.impact}) ${JSON.stringify(v.nodes)}`).join(", ")}`);
  report.consoleErrors = consoleErrors;
  if (consoleErrors.length) failures.push(`console: ${consoleErrors.join(" | ")}`);
} finally {
  await browser.close();
  server.close();
}
report.ok = failures.length === 0;
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
