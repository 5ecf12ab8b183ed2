// Inrupt's JavaScript SDK against a Solid pod: client-credentials login (DPoP) with @inrupt/solid-client-authn-node,
// then create / read / patch / read / delete with @inrupt/solid-client over session.fetch.
//
//   node tests/interop/inrupt-crud.mjs ISSUER CREDENTIALS_JSON_FILE CONTAINER_URL
//   e.g. node tests/interop/inrupt-crud.mjs http://localhost:3939/ cc.json http://localhost:3939/alice/private/
//
// CREDENTIALS_JSON_FILE holds {"client_id": …, "client_secret": …} (or CSS's {"id": …, "secret": …}).
// ISSUER is given to the SDK as is: it fetches ISSUER/.well-known/openid-configuration and verifies the ID token
// against the `issuer` of that document (CSS's issuer ends with "/"). CONTAINER_URL gets a "/" if it has none; it
// must refuse anonymous reads (a CSS pod root is public: use a container with an owner-only .acl). Against CSS, start
// it as http://localhost:PORT/ (KOMMON_CSS_HOST=localhost start-css.sh): it refuses tokens for http://127.0.0.1 WebIDs.
// Needs tests/interop/node_modules (tests/interop/install.sh).
//
// Steps, each recorded with the HTTP requests it made (method, URL, status, request Content-Type, PATCH body):
//   login         session.login({clientId, clientSecret, oidcIssuer, tokenType: "DPoP"}): logged in, with a WebID
//   create        saveSolidDatasetAt(CONTAINER_URL + "inrupt-<random>.ttl") of a new dataset (solid-client: PUT)
//   read          getSolidDataset: the thing <#it> has the text and the number that were written
//   patch         the text changed, saveSolidDatasetAt again: a PATCH with Content-Type application/sparql-update, 2xx
//   read-patched  getSolidDataset: the new text, not the old one, the number kept
//   delete        deleteSolidDataset: 2xx
//   gone          GET of the resource (authenticated) answers 404 or 410
//   anonymous     GET of CONTAINER_URL without credentials answers 401 or 403
// A failed step stops the ones that need it (create → read, patch …); `anonymous` always runs.
// Prints one JSON report on stdout: {ok, issuer, container, resource, webId, versions, steps: [{step, ok, status,
// detail, requests, ms}], failures: [...]}. Exit 0 when every step held, 1 otherwise, 2 on bad usage.
// Env: INRUPT_CRUD_TIMEOUT (seconds, default 60): past it, the report is printed with a timeout failure, exit 1.
import fs from "node:fs";
import crypto from "node:crypto";

const USAGE =
  "usage: node inrupt-crud.mjs ISSUER CREDENTIALS_JSON_FILE CONTAINER_URL   " +
  "(e.g. http://localhost:3939/ cc.json http://localhost:3939/alice/private/)";

function usage(message) {
  console.error(`inrupt-crud: ${message}\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) usage("help");
if (args.length !== 3) usage(`expected 3 arguments, got ${args.length}`);

function httpUrl(text, what) {
  try {
    const u = new URL(text);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    return u;
  } catch (e) {
    return usage(`bad ${what} ${JSON.stringify(text)} (${e.message})`);
  }
}
httpUrl(args[0], "ISSUER");
const ISSUER = args[0];
let CONTAINER = httpUrl(args[2], "CONTAINER_URL").href;
if (!CONTAINER.endsWith("/")) CONTAINER += "/";

let credentials;
try {
  const raw = JSON.parse(fs.readFileSync(args[1], "utf8"));
  const clientId = raw.client_id ?? raw.id;
  const clientSecret = raw.client_secret ?? raw.secret;
  if (typeof clientId !== "string" || typeof clientSecret !== "string" || !clientId || !clientSecret) {
    throw new Error('needs "client_id" and "client_secret" (or "id" and "secret") strings');
  }
  credentials = { clientId, clientSecret };
} catch (e) {
  usage(`bad CREDENTIALS_JSON_FILE ${JSON.stringify(args[1])}: ${e.message}`);
}

// These packages' "exports" hide package.json from require(); read it from the tree next to this script.
const pkgVersion = (name) =>
  JSON.parse(fs.readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
let Session, sc, versions;
try {
  ({ Session } = await import("@inrupt/solid-client-authn-node"));
  sc = await import("@inrupt/solid-client");
  versions = {
    node: process.versions.node,
    "@inrupt/solid-client": pkgVersion("@inrupt/solid-client"),
    "@inrupt/solid-client-authn-node": pkgVersion("@inrupt/solid-client-authn-node"),
  };
} catch (e) {
  console.error(`inrupt-crud: @inrupt/solid-client(-authn-node) missing (run tests/interop/install.sh): ${e.message}`);
  process.exit(2);
}

const RESOURCE = `${CONTAINER}inrupt-${crypto.randomBytes(6).toString("hex")}.ttl`;
const THING = `${RESOURCE}#it`;
const TEXT = "http://schema.org/text";
const POSITION = "http://schema.org/position";
const TEXT_1 = "Bonjour de solid-client — « été » \"quoted\"";
const TEXT_2 = "Texte modifié par un PATCH SPARQL Update";
const NUMBER = 42;

const failures = [];
const steps = [];
const report = { ok: false, issuer: ISSUER, container: CONTAINER, resource: RESOURCE, webId: null, versions, steps,
  failures };
let printed = false;
function finish(code) {
  if (printed) return;
  printed = true;
  report.ok = code === 0 && failures.length === 0;
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.ok ? 0 : 1);
}

const TIMEOUT_S = Number(process.env.INRUPT_CRUD_TIMEOUT || 60);
setTimeout(() => {
  const running = steps.find((s) => s.ok === undefined);
  failures.push(`timeout: no result after ${TIMEOUT_S} s${running ? ` (during step ${running.step})` : ""}`);
  if (running) { running.ok = false; running.detail = running.detail ?? "timed out"; }
  finish(1);
}, TIMEOUT_S * 1000);

// The step being run: the tracked fetch files its requests under it.
let current = null;
const headerOf = (headers, name) => {
  if (!headers) return undefined;
  if (typeof headers.get === "function") return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
};
function tracked(fetchFn) {
  return async (input, init = {}) => {
    const url = typeof input === "string" ? input : input.url ?? String(input);
    const entry = { method: (init.method ?? "GET").toUpperCase(), url };
    const ct = headerOf(init.headers, "content-type");
    if (ct) entry.contentType = ct;
    const inm = headerOf(init.headers, "if-none-match");
    if (inm) entry.ifNoneMatch = inm;
    if (entry.method === "PATCH" && typeof init.body === "string") entry.body = init.body;
    current?.requests.push(entry);
    try {
      const res = await fetchFn(input, init);
      entry.status = res.status;
      const rct = res.headers.get("content-type");
      if (rct) entry.responseContentType = rct;
      return res;
    } catch (e) {
      entry.error = String(e.message ?? e);
      throw e;
    }
  };
}

// Runs one step: fn returns {ok, status?, detail?} or throws (recorded as not ok).
async function step(name, fn) {
  const s = { step: name, ok: undefined, requests: [] };
  steps.push(s);
  current = s;
  const t0 = Date.now();
  try {
    const r = await fn(s);
    Object.assign(s, r);
    s.ok = Boolean(r.ok);
  } catch (e) {
    s.ok = false;
    const status = e?.response?.status ?? e?.statusCode;
    if (status !== undefined) s.status = status;
    s.detail = String(e?.message ?? e).split("\n").slice(0, 3).join(" ").slice(0, 800);
  }
  s.ms = Date.now() - t0;
  if (!s.requests.length) delete s.requests;
  if (!s.ok) failures.push(`${name}: ${typeof s.detail === "string" ? s.detail : JSON.stringify(s.detail)}`);
  current = null;
  return s.ok;
}
function skipped(name, because) {
  steps.push({ step: name, ok: false, detail: `not run: ${because} failed` });
  failures.push(`${name}: not run (${because} failed)`);
}

const session = new Session();
const fetchAuth = tracked((url, init) => session.fetch(url, init));
const fetchAnon = tracked((url, init) => fetch(url, init));

const loggedIn = await step("login", async () => {
  await session.login({ ...credentials, oidcIssuer: ISSUER, tokenType: "DPoP" });
  report.webId = session.info.webId ?? null;
  const ok = session.info.isLoggedIn === true && typeof session.info.webId === "string" && session.info.webId !== "";
  return {
    ok,
    detail: ok
      ? { webId: session.info.webId, clientAppId: session.info.clientAppId, expirationDate: session.info.expirationDate }
      : `isLoggedIn=${session.info.isLoggedIn}, webId=${JSON.stringify(session.info.webId)}`,
  };
});

let created = false;
if (loggedIn) {
  created = await step("create", async () => {
    const thing = sc.buildThing(sc.createThing({ url: THING }))
      .addStringNoLocale(TEXT, TEXT_1)
      .addInteger(POSITION, NUMBER)
      .build();
    await sc.saveSolidDatasetAt(RESOURCE, sc.setThing(sc.createSolidDataset(), thing), { fetch: fetchAuth });
    const last = current.requests.at(-1);
    return { ok: true, status: last?.status, detail: `${last?.method} ${RESOURCE} → ${last?.status}` };
  });
} else {
  skipped("create", "login");
}

let readBack = null;
if (created) {
  await step("read", async () => {
    const ds = await sc.getSolidDataset(RESOURCE, { fetch: fetchAuth });
    const thing = sc.getThing(ds, THING);
    const text = thing && sc.getStringNoLocale(thing, TEXT);
    const number = thing && sc.getInteger(thing, POSITION);
    const ok = text === TEXT_1 && number === NUMBER;
    if (ok) readBack = ds;
    return {
      ok,
      status: current.requests.at(-1)?.status,
      detail: ok ? { text, number } : { expected: { text: TEXT_1, number: NUMBER }, got: { thing: thing ? THING : null,
        text, number, things: sc.getThingAll(ds).map((t) => sc.asUrl(t, RESOURCE)) } },
    };
  });
} else {
  skipped("read", "create");
}

let patched = false;
if (readBack) {
  patched = await step("patch", async () => {
    const thing = sc.setStringNoLocale(sc.getThing(readBack, THING), TEXT, TEXT_2);
    await sc.saveSolidDatasetAt(RESOURCE, sc.setThing(readBack, thing), { fetch: fetchAuth });
    const last = current.requests.at(-1);
    const ok = last?.method === "PATCH" && /^application\/sparql-update\b/i.test(last?.contentType ?? "") &&
      last.status >= 200 && last.status < 300;
    return {
      ok,
      status: last?.status,
      detail: ok ? `PATCH (application/sparql-update) → ${last.status}`
        : `expected a 2xx PATCH with application/sparql-update, got ${last?.method} (${last?.contentType}) → ${last?.status}`,
    };
  });
} else {
  skipped("patch", "read");
}

if (patched) {
  await step("read-patched", async () => {
    const ds = await sc.getSolidDataset(RESOURCE, { fetch: fetchAuth });
    const thing = sc.getThing(ds, THING);
    const texts = thing ? sc.getStringNoLocaleAll(thing, TEXT) : [];
    const number = thing && sc.getInteger(thing, POSITION);
    const ok = texts.length === 1 && texts[0] === TEXT_2 && number === NUMBER;
    return {
      ok,
      status: current.requests.at(-1)?.status,
      detail: ok ? { text: texts[0], number } : { expected: { texts: [TEXT_2], number: NUMBER }, got: { texts, number } },
    };
  });
} else {
  skipped("read-patched", "patch");
}

// Delete whenever the resource was created, so a failed middle step leaves nothing behind.
let deleted = false;
if (created) {
  deleted = await step("delete", async () => {
    await sc.deleteSolidDataset(RESOURCE, { fetch: fetchAuth });
    const last = current.requests.at(-1);
    return { ok: true, status: last?.status, detail: `DELETE → ${last?.status}` };
  });
} else {
  skipped("delete", "create");
}

if (deleted) {
  await step("gone", async () => {
    const res = await fetchAuth(RESOURCE, { headers: { Accept: "text/turtle" } });
    await res.arrayBuffer().catch(() => {});
    const ok = res.status === 404 || res.status === 410;
    return { ok, status: res.status, detail: ok ? `GET → ${res.status}` : `expected 404 or 410, got ${res.status}` };
  });
} else {
  skipped("gone", "delete");
}

await step("anonymous", async () => {
  const res = await fetchAnon(CONTAINER, { headers: { Accept: "text/turtle" } });
  await res.arrayBuffer().catch(() => {});
  const ok = res.status === 401 || res.status === 403;
  return { ok, status: res.status,
    detail: ok ? `anonymous GET ${CONTAINER} → ${res.status}` : `expected 401 or 403, got ${res.status}` };
});

try {
  if (session.info.isLoggedIn) await session.logout({ logoutType: "app" });
} catch { /* not part of the checks */ }
finish(0);
