// pod-server's Solid-OIDC provider walked in a real browser by a small test app (authorization code + PKCE + DPoP).
//
//   node tests/interop/oidc-browser-flow.mjs BASE_URL POD_NAME PASSWORD OUT_DIR
//   e.g. node tests/interop/oidc-browser-flow.mjs http://localhost:4301 alice motdepasse-solide /tmp/oidc-shots
//
// Needs /usr/bin/chromium (never `npx playwright install`) and tests/interop/node_modules (tests/interop/install.sh).
//
// The script serves the test app itself, on 127.0.0.1 with a free port, as http://localhost:PORT:
//   /client.jsonld  its Solid-OIDC Client ID document (application/ld+json; client_id = this URL, client_name
//                   "Appli de test Kommon", redirect_uris [http://localhost:PORT/callback], scope
//                   "openid webid offline_access", grant_types authorization_code + refresh_token, response_types code)
//   /               the app page (lang fr) with a "Se connecter" button. Its inline JS (WebCrypto, no library) reads
//                   BASE_URL/.well-known/openid-configuration, keeps a PKCE S256 verifier and a state in
//                   sessionStorage and goes to authorization_endpoint?response_type=code&client_id&redirect_uri
//                   &scope&code_challenge&code_challenge_method=S256&state&prompt=consent
//   /callback       checks state (and `iss` when given), makes a non-extractable ES256 DPoP key, POSTs the code to
//                   token_endpoint (form: grant_type, code, redirect_uri, client_id, code_verifier; `DPoP` proof with
//                   htu, htm, jti, iat), reads `webid` from the id_token, GETs the WebID (Accept: application/ld+json,
//                   Authorization: DPoP <access token>, a fresh proof with htu, htm, jti, iat and ath), takes its
//                   `url` (the private profile document) and GETs that the same way, then shows
//                   <pre id="result">{webid, token_type, profileStatus, profileBody, …}</pre> or <pre id="error">.
// Browser checks (headless chromium, fr-FR), each run in a fresh context:
//   allow         app → "Se connecter" → the login page on BASE_URL (status 200, <html lang="fr">, names the app, axe
//                 WCAG 2.1 A/AA without serious/critical violations, no console error) → #username/#password filled,
//                 button[name=action][value=login] → the consent page (names the app, "Autoriser"/"Refuser", same page
//                 checks) → button[name=decision][value=allow] → the callback shows #result within 20 s: token_type
//                 DPoP, an id_token for this client from the discovered issuer with a WebID on BASE_URL, the profile
//                 document read with status 200 and a non-empty body;
//   deny          the same up to the consent page, then button[name=decision][value=deny]: back to the callback with
//                 error=access_denied and the same state in the URL, no code, and the page shows #error;
//   bad-redirect  an authorization request (built from the discovery document) whose redirect_uri
//                 http://localhost:PORT/evil is not in the client document: the server answers 400 itself and the
//                 browser never reaches /evil.
// Screenshots go to OUT_DIR. Prints one JSON report on stdout ({ok, steps, failures, versions, …}; each step lists
// its checks, the navigations it saw and the console messages). Exit 0 if everything holds, 1 otherwise, 2 on bad
// usage. Env: CHROMIUM_PATH (default /usr/bin/chromium); OIDC_FLOW_TIMEOUT (seconds for the whole run, default
// 180); OIDC_APP_ONLY=1 only serves the app (prints {"app": …} and waits until killed), to walk it by hand.
import fs from "node:fs";
import path from "node:path";
import http from "node:http";
import crypto from "node:crypto";
import { createRequire } from "node:module";

const USAGE = "usage: node oidc-browser-flow.mjs BASE_URL POD_NAME PASSWORD OUT_DIR   " +
  "(e.g. http://localhost:4301 alice motdepasse-solide /tmp/oidc-shots)";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const APP_NAME = "Appli de test Kommon";
const SCOPE = "openid webid offline_access";
const STORAGE_KEY = "kommon-oidc-test";

function usage(message) {
  console.error(`oidc-browser-flow: ${message}\n${USAGE}`);
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
const [, POD_NAME, PASSWORD] = args;
if (!POD_NAME) usage("empty POD_NAME");
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
  console.error(`oidc-browser-flow: playwright-core / axe-core missing (run tests/interop/install.sh): ${e.message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------------
// The test app's browser code. These two functions are serialised into the pages (fn.toString()), so they must only
// use browser globals and their `cfg` argument.

/* global document, sessionStorage, location, btoa */
function appMain(cfg) {
  const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const button = document.getElementById("login");
  const status = document.getElementById("status");
  const showError = (message) => {
    let pre = document.getElementById("error");
    if (!pre) {
      pre = document.createElement("pre");
      pre.id = "error";
      document.querySelector("main").append(pre);
    }
    pre.textContent = message;
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Connexion en cours…";
    const discovery = `${cfg.base}/.well-known/openid-configuration`;
    try {
      let res;
      try {
        res = await fetch(discovery, { headers: { Accept: "application/json" } });
      } catch (e) {
        throw new Error(`GET ${discovery} failed (${e.message}): network error, or the response has no ` +
          `Access-Control-Allow-Origin for ${location.origin}`);
      }
      if (!res.ok) throw new Error(`GET ${discovery} answered ${res.status}`);
      const conf = await res.json();
      for (const key of ["issuer", "authorization_endpoint", "token_endpoint"]) {
        if (typeof conf[key] !== "string") throw new Error(`the discovery document has no ${key}`);
      }
      const verifier = b64u(crypto.getRandomValues(new Uint8Array(32)));
      const challenge = b64u(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
      const state = b64u(crypto.getRandomValues(new Uint8Array(16)));
      sessionStorage.setItem(cfg.storageKey, JSON.stringify({
        verifier, state, issuer: conf.issuer, tokenEndpoint: conf.token_endpoint,
      }));
      const target = new URL(conf.authorization_endpoint);
      const params = {
        response_type: "code", client_id: cfg.clientId, redirect_uri: cfg.redirectUri, scope: cfg.scope,
        code_challenge: challenge, code_challenge_method: "S256", state, prompt: "consent",
      };
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      location.assign(target.href);
    } catch (e) {
      status.textContent = "Échec de la connexion.";
      button.disabled = false;
      showError(String(e.message ?? e));
    }
  });
}

async function callbackMain(cfg) {
  const enc = new TextEncoder();
  const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const b64uJson = (value) => b64u(enc.encode(JSON.stringify(value)));
  const jwtPayload = (jwt) => {
    const part = String(jwt).split(".")[1];
    if (!part) throw new Error("not a JWT");
    const bin = atob(part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  };
  const show = (id, text) => {
    const pre = document.createElement("pre");
    pre.id = id;
    pre.textContent = text;
    document.querySelector("main").append(pre);
  };
  const status = document.getElementById("status");
  try {
    const saved = JSON.parse(sessionStorage.getItem(cfg.storageKey) || "null");
    if (!saved) throw new Error("no login in progress (sessionStorage is empty: was the app page used?)");
    const q = new URLSearchParams(location.search);
    if (q.get("state") !== saved.state) {
      throw new Error(`state mismatch: the callback got ${JSON.stringify(q.get("state"))}, ` +
        `the app sent ${JSON.stringify(saved.state)}`);
    }
    if (q.has("iss") && q.get("iss") !== saved.issuer) {
      throw new Error(`iss mismatch: the callback got ${JSON.stringify(q.get("iss"))}, ` +
        `the discovery document says ${JSON.stringify(saved.issuer)}`);
    }
    if (q.has("error")) {
      const description = q.get("error_description");
      throw new Error(`${q.get("error")}${description ? `: ${description}` : ""}`);
    }
    const code = q.get("code");
    if (!code) throw new Error("the callback URL has neither code nor error");

    // DPoP: one ES256 key for the session; the private half never leaves WebCrypto.
    const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const pub = await crypto.subtle.exportKey("jwk", keys.publicKey);
    const jwk = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
    const proof = async (htm, url, accessToken, nonce) => {
      const u = new URL(url);
      const payload = { htu: u.origin + u.pathname, htm, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) };
      if (accessToken) payload.ath = b64u(await crypto.subtle.digest("SHA-256", enc.encode(accessToken)));
      if (nonce) payload.nonce = nonce;
      const input = `${b64uJson({ typ: "dpop+jwt", alg: "ES256", jwk })}.${b64uJson(payload)}`;
      // WebCrypto's ECDSA signature is already the raw r || s (64 bytes) that JWS ES256 wants.
      const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, enc.encode(input));
      return `${input}.${b64u(sig)}`;
    };
    // fetch with a DPoP proof; one retry if the server asks for a nonce (RFC 9449 §8 and §9).
    const dpopFetch = async (method, url, init, accessToken) => {
      let nonce;
      for (let attempt = 0; ; attempt++) {
        const headers = { ...init.headers, DPoP: await proof(method, url, accessToken, nonce) };
        if (accessToken) headers.Authorization = `DPoP ${accessToken}`;
        let res;
        try {
          res = await fetch(url, { ...init, method, headers });
        } catch (e) {
          throw new Error(`${method} ${url} failed (${e.message}): network error, or CORS refused (the preflight ` +
            `OPTIONS must allow origin ${location.origin}, method ${method} and headers ` +
            `${Object.keys(headers).filter((h) => !/^(accept|content-type)$/i.test(h)).join(", ").toLowerCase()}; ` +
            "the response must carry Access-Control-Allow-Origin)");
        }
        const newNonce = res.headers.get("DPoP-Nonce");
        if (attempt === 0 && newNonce && (res.status === 400 || res.status === 401)) {
          nonce = newNonce;
          continue;
        }
        return res;
      }
    };

    status.textContent = "Échange du code…";
    const tokenRes = await dpopFetch("POST", saved.tokenEndpoint, {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code, redirect_uri: cfg.redirectUri, client_id: cfg.clientId,
        code_verifier: saved.verifier,
      }).toString(),
    });
    const tokenText = await tokenRes.text();
    if (!tokenRes.ok) throw new Error(`the token endpoint answered ${tokenRes.status}: ${tokenText.slice(0, 500)}`);
    let tokens;
    try {
      tokens = JSON.parse(tokenText);
    } catch {
      throw new Error(`the token endpoint's answer is not JSON: ${tokenText.slice(0, 300)}`);
    }
    if (typeof tokens.access_token !== "string") throw new Error("the token response has no access_token");
    if (typeof tokens.id_token !== "string") throw new Error("the token response has no id_token");
    const claims = jwtPayload(tokens.id_token);
    let accessClaims = null;
    try { accessClaims = jwtPayload(tokens.access_token); } catch { /* an opaque access token is fine */ }
    const webid = claims.webid;
    if (typeof webid !== "string") throw new Error(`the id_token has no webid claim: ${JSON.stringify(claims)}`);

    status.textContent = "Lecture du WebID…";
    const ldInit = { headers: { Accept: "application/ld+json" } };
    const webidRes = await dpopFetch("GET", webid, ldInit, tokens.access_token);
    const webidText = await webidRes.text();
    if (!webidRes.ok) throw new Error(`GET ${webid} (the WebID) answered ${webidRes.status}: ${webidText.slice(0, 300)}`);
    let webidDoc;
    try {
      webidDoc = JSON.parse(webidText);
    } catch {
      throw new Error(`the WebID document is not JSON (${webidRes.headers.get("content-type")}): ` +
        webidText.slice(0, 300));
    }
    // The profile document's URL: the WebID node's `url` (or, failing that, foaf:isPrimaryTopicOf / schema:url).
    const KEYS = ["url", "schema:url", "http://schema.org/url", "https://schema.org/url", "isPrimaryTopicOf",
      "foaf:isPrimaryTopicOf", "http://xmlns.com/foaf/0.1/isPrimaryTopicOf"];
    const nodes = Array.isArray(webidDoc) ? webidDoc : Array.isArray(webidDoc["@graph"]) ? webidDoc["@graph"] : [webidDoc];
    const idOf = (n) => { try { return new URL(n["@id"] ?? n.id, webid).href; } catch { return null; } };
    const ordered = [...nodes.filter((n) => n && idOf(n) === webid), ...nodes.filter((n) => n && idOf(n) !== webid)];
    let profileUrl = null;
    let profileKey = null;
    for (const key of KEYS) {
      for (const node of ordered) {
        let v = node[key];
        if (Array.isArray(v)) v = v[0];
        if (v && typeof v === "object") v = v["@id"] ?? v.id ?? v["@value"];
        if (typeof v === "string" && v) {
          profileUrl = new URL(v, webid).href;
          profileKey = key;
          break;
        }
      }
      if (profileUrl) break;
    }
    if (!profileUrl) throw new Error(`the WebID document has no "url": ${webidText.slice(0, 400)}`);

    status.textContent = "Lecture du profil…";
    const profileRes = await dpopFetch("GET", profileUrl, ldInit, tokens.access_token);
    const profileBody = await profileRes.text();
    const pick = (o, keys) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
    show("result", JSON.stringify({
      webid,
      token_type: tokens.token_type,
      profileStatus: profileRes.status,
      profileBody,
      profileUrl,
      profileKey,
      profileContentType: profileRes.headers.get("content-type"),
      webidStatus: webidRes.status,
      webidContentType: webidRes.headers.get("content-type"),
      issuer: saved.issuer,
      issParam: q.get("iss"),
      scope: tokens.scope ?? null,
      expires_in: tokens.expires_in ?? null,
      hasRefreshToken: typeof tokens.refresh_token === "string",
      idToken: pick(claims, ["iss", "aud", "azp", "sub", "webid", "iat", "exp", "auth_time", "nonce"]),
      accessToken: accessClaims && pick(accessClaims, ["iss", "aud", "client_id", "azp", "sub", "webid", "cnf", "exp"]),
    }, null, 2));
    status.textContent = "Connecté.";
  } catch (e) {
    status.textContent = "Échec.";
    show("error", String(e.message ?? e));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The app server.

const appRequests = [];
const clientDocumentFetches = [];
let APP, CLIENT_ID, REDIRECT_URI;
const page = (title, body, script) => `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>${title}</title></head>
<body><main><h1>${APP_NAME}</h1>${body}<p id="status" role="status"></p></main>
<script>${script}</script>
</body>
</html>
`;
// JSON inside <script>: "<" escaped so no value can close the element.
const jsArg = (value) => JSON.stringify(value).replace(/</g, "\\u003c");

const server = http.createServer((req, res) => {
  const url = new URL(req.url, APP);
  appRequests.push({ method: req.method, path: url.pathname, query: url.search || undefined,
    from: req.headers["user-agent"]?.includes("Chrome") ? "browser" : req.headers["user-agent"] ?? "" });
  const send = (status, type, body, extra = {}) => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", ...extra });
    res.end(req.method === "HEAD" ? undefined : body);
  };
  const cfg = { base: BASE, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, scope: SCOPE, storageKey: STORAGE_KEY };
  if (url.pathname === "/client.jsonld") {
    clientDocumentFetches.push({ method: req.method, accept: req.headers.accept ?? null,
      userAgent: req.headers["user-agent"] ?? null });
    return send(200, "application/ld+json", JSON.stringify({
      "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
      client_id: CLIENT_ID,
      client_name: APP_NAME,
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [`${APP}/`],
      scope: SCOPE,
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    }, null, 2), { "Access-Control-Allow-Origin": "*" });
  }
  if (url.pathname === "/") {
    return send(200, "text/html; charset=utf-8", page(APP_NAME,
      '<p>Une petite application pour tester la connexion Solid-OIDC.</p><button id="login" type="button">Se connecter</button>',
      `(${appMain})(${jsArg(cfg)});`));
  }
  if (url.pathname === "/callback") {
    return send(200, "text/html; charset=utf-8", page(`Retour de connexion – ${APP_NAME}`,
      "<h2>Retour de connexion</h2>", `(${callbackMain})(${jsArg(cfg)});`));
  }
  if (url.pathname === "/evil") {
    return send(200, "text/html; charset=utf-8", page("Mauvaise redirection", "<p>Vous ne devriez pas être ici.</p>", ""));
  }
  return send(404, "text/plain; charset=utf-8", "not found\n");
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", resolve);
});
APP = `http://localhost:${server.address().port}`;
CLIENT_ID = `${APP}/client.jsonld`;
REDIRECT_URI = `${APP}/callback`;

if (process.env.OIDC_APP_ONLY) {
  console.log(JSON.stringify({ app: `${APP}/`, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, base: BASE }));
  await new Promise(() => {});
}

// ---------------------------------------------------------------------------------------------------------------
// The browser walk.

const failures = [];
const steps = [];
const report = { ok: false, base: BASE, app: `${APP}/`, clientId: CLIENT_ID, pod: POD_NAME, outDir: OUT, versions,
  steps, failures, clientDocumentFetches, appRequests };
let browser;
let printed = false;
async function finish() {
  if (printed) return;
  printed = true;
  if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  server.close();
  report.ok = failures.length === 0;
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.ok ? 0 : 1);
}
const TIMEOUT_S = Number(process.env.OIDC_FLOW_TIMEOUT || 180);
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

// A page of a fresh context that records main-frame navigations and console messages.
async function openPage(context, step) {
  const p = await context.newPage();
  p.setDefaultTimeout(15_000);
  step.navigations = [];
  step.console = [];
  p.on("response", (r) => {
    if (r.request().isNavigationRequest() && r.frame() === p.mainFrame()) {
      step.navigations.push({ method: r.request().method(), url: r.url(), status: r.status() });
    }
  });
  p.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") {
      step.console.push({ type: m.type(), text: m.text(), url: m.location()?.url || undefined });
    }
  });
  p.on("pageerror", (e) => step.console.push({ type: "exception", text: String(e), url: p.url() }));
  p.on("requestfailed", (r) => step.console.push({ type: "requestfailed", text: `${r.method()} ${r.url()} ` +
    `${r.failure()?.errorText ?? ""}`, url: p.url() }));
  return p;
}
const lastStatus = (step) => step.navigations.at(-1)?.status;
const onBase = (url) => { try { return new URL(url).origin === BASE_ORIGIN; } catch { return false; } };
async function snippet(p) {
  return (await p.locator("body").innerText().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 300);
}
// What a failed wait reports: where the page is, its text and the last console errors (e.g. a CSP or CORS refusal).
async function where(step, p, e) {
  const errors = step.console.filter((c) => c.type !== "warning").slice(-3).map((c) => c.text.trim());
  return { url: p.url(), status: lastStatus(step), text: await snippet(p), consoleErrors: errors.length ? errors : undefined,
    error: e ? firstLine(e) : undefined };
}

// Checks of one of our server's pages (login, consent): lang, the app's name, console errors from BASE_URL's pages,
// and (if `full`) axe; always a screenshot.
async function serverPageChecks(step, p, what, shot, full) {
  const info = { url: p.url(), status: lastStatus(step) };
  step[what] = info;
  check(step, `the ${what} page is on BASE_URL`, onBase(p.url()), p.url());
  check(step, `the ${what} page answers 200`, info.status === 200, info.status);
  info.lang = await p.getAttribute("html", "lang").catch(() => null);
  check(step, `the ${what} page is <html lang="fr">`, info.lang === "fr", info.lang);
  const text = await p.locator("body").innerText();
  check(step, `the ${what} page names the app ("${APP_NAME}")`, text.includes(APP_NAME),
    text.includes(APP_NAME) ? undefined : text.slice(0, 300));
  info.screenshot = path.join(OUT, shot);
  await p.screenshot({ path: info.screenshot, fullPage: true });
  if (full) {
    const axe = await runAxe(p);
    info.violations = axe.violations;
    info.incomplete = axe.incomplete;
    const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    check(step, `no serious or critical axe violation on the ${what} page`, bad.length === 0,
      bad.length ? bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length} node(s))`) : undefined);
    await p.waitForTimeout(200);
    // A sub-resource cancelled by a navigation (net::ERR_ABORTED) is not the page's fault.
    const errors = step.console.filter((c) => c.type !== "warning" && onBase(c.url ?? "") &&
      !(c.type === "requestfailed" && c.text.endsWith("net::ERR_ABORTED")));
    info.consoleErrors = errors;
    check(step, `no console error on BASE_URL's pages so far (${what})`, errors.length === 0,
      errors.length ? errors.map((c) => c.text) : undefined);
  }
  return text;
}

// App → "Se connecter" → login page → fill and send → consent page. Returns the page on the consent page, or null.
async function toConsent(step, p, full) {
  const app = await p.goto(`${APP}/`, { waitUntil: "load" });
  if (!check(step, "the app page loads", app?.status() === 200, app?.status())) return null;
  await p.getByRole("button", { name: "Se connecter" }).click();
  const landing = p.locator('#username, button[name="decision"][value="allow"], pre#error').first();
  try {
    await landing.waitFor({ state: "visible" });
  } catch (e) {
    check(step, "after \"Se connecter\": a login page with #username", false, await where(step, p, e));
    return null;
  }
  if (!onBase(p.url()) && (await p.locator("pre#error").count())) {
    check(step, "the app reaches the authorization endpoint", false,
      { error: await p.locator("pre#error").innerText(), consoleErrors: (await where(step, p)).consoleErrors });
    return null;
  }
  const isLogin = (await p.locator("#username").count()) > 0;
  if (!check(step, "a fresh browser gets the login page (#username), not the consent page", isLogin, p.url())) {
    return null;
  }
  await serverPageChecks(step, p, "login", `${step.step}-login.png`, full);
  if (!check(step, "the login form has #password and button[name=action][value=login]",
    (await p.locator("#password").count()) === 1 &&
      (await p.locator('button[name="action"][value="login"]').count()) === 1)) return null;
  await p.locator("#username").fill(POD_NAME);
  await p.locator("#password").fill(PASSWORD);
  const navigated = p.waitForEvent("framenavigated", { predicate: (f) => f === p.mainFrame() }).then(() => null, (e) => e);
  await p.locator('button[name="action"][value="login"]').click();
  try {
    // After the form's navigation: the consent page, or the login form again (refused) — no need to wait 15 s then.
    const notNavigated = await navigated;
    if (notNavigated) throw notNavigated;
    await p.locator('button[name="decision"][value="allow"], #username').first().waitFor({ state: "visible" });
    if (!(await p.locator('button[name="decision"][value="allow"]').count())) throw new Error("the login form again");
  } catch (e) {
    check(step, "after logging in: the consent page (button[name=decision][value=allow])", false, await where(step, p, e));
    return null;
  }
  const text = await serverPageChecks(step, p, "consent", `${step.step}-consent.png`, full);
  const allow = (await p.locator('button[name="decision"][value="allow"]').innerText()).trim();
  const deny = await p.locator('button[name="decision"][value="deny"]');
  const denyText = (await deny.count()) ? (await deny.innerText()).trim() : null;
  check(step, 'the consent page has "Autoriser" (allow) and "Refuser" (deny) buttons',
    /Autoriser/.test(allow) && /Refuser/.test(denyText ?? ""), { allow, deny: denyText });
  return text;
}

async function waitCallback(step, p) {
  try {
    await p.waitForURL((u) => u.href.startsWith(`${REDIRECT_URI}`), { timeout: 20_000 });
  } catch (e) {
    check(step, "back on the app's callback within 20 s", false, await where(step, p, e));
    return null;
  }
  step.callbackUrl = p.url();
  try {
    await p.locator("pre#result, pre#error").first().waitFor({ state: "attached", timeout: 20_000 });
  } catch (e) {
    check(step, "the callback page shows #result or #error within 20 s", false, await where(step, p, e));
    return null;
  }
  const result = (await p.locator("pre#result").count()) ? await p.locator("pre#result").innerText() : null;
  const error = (await p.locator("pre#error").count()) ? await p.locator("pre#error").innerText() : null;
  step.callbackScreenshot = path.join(OUT, `${step.step}-callback.png`);
  await p.screenshot({ path: step.callbackScreenshot, fullPage: true });
  return { result, error, params: Object.fromEntries(new URL(p.url()).searchParams) };
}

async function runAllow() {
  const step = { step: "allow", checks: [] };
  steps.push(step);
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 800 } });
  try {
    const p = await openPage(context, step);
    if ((await toConsent(step, p, true)) === null) return;
    await p.locator('button[name="decision"][value="allow"]').click();
    const cb = await waitCallback(step, p);
    if (!cb) return;
    step.callbackParams = { ...cb.params, code: cb.params.code ? "(present)" : undefined };
    check(step, "the callback URL has a code and no error", Boolean(cb.params.code) && !cb.params.error, cb.params);
    if (!check(step, "the callback page shows #result (not #error)", cb.result !== null,
      cb.result === null ? { error: cb.error, consoleErrors: (await where(step, p)).consoleErrors } : undefined)) return;
    let r;
    try {
      r = JSON.parse(cb.result);
    } catch {
      check(step, "#result is JSON", false, cb.result.slice(0, 200));
      return;
    }
    step.result = r;
    check(step, "token_type is DPoP", /^dpop$/i.test(r.token_type ?? ""), r.token_type);
    const aud = [].concat(r.idToken?.aud ?? []);
    check(step, "the id_token's aud contains the client_id", aud.includes(CLIENT_ID), r.idToken?.aud);
    check(step, "the id_token's iss is the discovered issuer", r.idToken?.iss === r.issuer,
      { iss: r.idToken?.iss, issuer: r.issuer });
    check(step, "the WebID (id_token webid) is on BASE_URL", onBase(r.webid ?? ""), r.webid);
    check(step, "the profile document answers 200 to its owner", r.profileStatus === 200, r.profileStatus);
    check(step, "the profile document's body is not empty", typeof r.profileBody === "string" &&
      r.profileBody.trim() !== "", r.profileBody?.slice(0, 100));
  } catch (e) {
    check(step, "the allow flow could be walked", false, firstLine(e));
  } finally {
    await context.close().catch(() => {});
  }
}

async function runDeny() {
  const step = { step: "deny", checks: [] };
  steps.push(step);
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 800 } });
  try {
    const p = await openPage(context, step);
    if ((await toConsent(step, p, false)) === null) return;
    await p.locator('button[name="decision"][value="deny"]').click();
    const cb = await waitCallback(step, p);
    if (!cb) return;
    step.callbackParams = cb.params;
    check(step, "the callback URL has error=access_denied", cb.params.error === "access_denied", cb.params);
    check(step, "the callback URL has no code", cb.params.code === undefined,
      cb.params.code === undefined ? undefined : "code present");
    const sent = await p.evaluate((key) => JSON.parse(sessionStorage.getItem(key) || "null")?.state ?? null,
      STORAGE_KEY);
    check(step, "the callback URL carries the app's state", sent !== null && cb.params.state === sent,
      { sent, got: cb.params.state ?? null });
    check(step, "the callback page shows #error with access_denied", (cb.error ?? "").includes("access_denied"),
      cb.error ?? cb.result);
  } catch (e) {
    check(step, "the deny flow could be walked", false, firstLine(e));
  } finally {
    await context.close().catch(() => {});
  }
}

async function runBadRedirect() {
  const step = { step: "bad-redirect", checks: [] };
  steps.push(step);
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 800 } });
  try {
    let conf;
    try {
      const res = await fetch(`${BASE}/.well-known/openid-configuration`, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`status ${res.status}`);
      conf = await res.json();
    } catch (e) {
      check(step, "the discovery document can be read", false, firstLine(e));
      return;
    }
    const evil = `${APP}/evil`;
    const verifier = crypto.randomBytes(32).toString("base64url");
    const target = new URL(conf.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: "code", client_id: CLIENT_ID, redirect_uri: evil, scope: SCOPE,
      code_challenge: crypto.createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256", state: crypto.randomBytes(16).toString("base64url"), prompt: "consent",
    })) target.searchParams.set(k, v);
    step.url = target.href;
    const p = await openPage(context, step);
    const evilBefore = appRequests.filter((r) => r.path === "/evil").length;
    const res = await p.goto(target.href, { waitUntil: "load" });
    await p.waitForTimeout(500);
    step.status = res?.status();
    step.finalUrl = p.url();
    step.lang = await p.getAttribute("html", "lang").catch(() => null);
    step.text = await snippet(p);
    step.screenshot = path.join(OUT, "bad-redirect.png");
    await p.screenshot({ path: step.screenshot, fullPage: true });
    check(step, "the authorization endpoint answers 400 itself", step.status === 400 && onBase(res.url()),
      { status: step.status, url: res?.url() });
    check(step, "the browser is not sent to the unregistered redirect_uri",
      !p.url().startsWith(evil) && appRequests.filter((r) => r.path === "/evil").length === evilBefore, p.url());
  } catch (e) {
    check(step, "the bad redirect_uri request could be made", false, firstLine(e));
  } finally {
    await context.close().catch(() => {});
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
  await runAllow();
  await runDeny();
  await runBadRedirect();
} catch (e) {
  failures.push(`browser: ${firstLine(e)}`);
}
await finish();
