#!/usr/bin/env node
// Pod server benchmark: Kommon's pod-server against the Community Solid Server (CSS) 7.2.0, side by side,
// in one run, on the same machine. Usage: bench/pod_bench.sh (wrapper) or node bench/pod_bench.mjs --help.
//
//   1. starts CSS 7.2.0 (memory backend, default config, -l warn, bound to 127.0.0.1 by the
//      bind-lo preload, seeded with one account + pod) and pod-server (create-pod, then serve --dev);
//   2. loads both with wrk (or autocannon's programmatic API, --tool): GET and PUT of a small Turtle document,
//      64 connections, a short warm-up then ~10 s measured, req/s and p50/p99 latency;
//   3. authenticated GET / PUT: pod-server with draft-cavage HTTP signatures from a remote actor
//      (served here on loopback), CSS with a DPoP-bound client-credentials access token and a fresh
//      DPoP proof per request;
//   3b. pod-server with Solid-OIDC: client credentials made with `pod-server create-client` before
//      `serve`, a DPoP-bound access token from pod-server's own /.oidc/token, then GET / PUT of an
//      owner-only resource with a fresh, never reused DPoP proof per request (pre-generated pool);
//      cost against the anonymous runs (target: anonymous req/s ÷ DPoP req/s ≤ 1.3 for GET);
//   4. pod-server resident memory (VmRSS / VmHWM) after creating N pods through POST /.account/signup
//      and after the load;
//   5. prints a Markdown report and writes it to bench/pod_bench_results.md;
//   6. stops every server it started and removes its temporary data.
//
// Node >= 20, ESM, no dependency besides autocannon 7.15.0 and @solid/community-server 7.2.0, looked up in
// bench/node_modules, tests/interop/node_modules, tests/interop/css/node_modules, /tmp/bench-node/node_modules
// (or BENCH_NODE_MODULES / CSS_NODE_MODULES). Options: node bench/pod_bench.mjs --help

import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const require = createRequire(import.meta.url);

// ------------------------------------------------------------------------------------------------
// Options

const DEFAULTS = {
  duration: 10, // measured seconds per run
  warmup: 2, // warm-up seconds per run (discarded)
  connections: 64,
  pods: 10000, // pods created through sign-up before the load (memory figure)
  signupConcurrency: 4,
  sigPool: 400, // pre-signed HTTP signatures per method (distinct Date values), cycled
  dpopPool: 4000, // pre-generated DPoP proofs per CSS run (distinct jti); never reused
  podDpopPool: 0, // pre-generated DPoP proofs per pod-server run phase; 0 = sized from the measured rate
  podDpopOnTheFly: false, // sign pod-server's DPoP proofs in setupRequest instead of a pool
  skipPodDpop: false,
  portMin: 4100,
  portMax: 4199,
  podServer: process.env.POD_SERVER_BIN || path.join(REPO, 'target/release/pod-server'),
  out: path.join(HERE, 'pod_bench_results.md'),
  skipCss: false,
  skipCssAuth: false,
  timeout: 3000, // global watchdog, seconds
  rssCap: 1024, // MiB: sign-ups stop when pod-server's RSS passes this (keeps the machine out of the OOM killer)
  podEnv: {}, // extra environment for pod-server (e.g. glibc malloc tunables), reported
  tool: null, // load generator: 'wrk' (default when on PATH) or 'autocannon'
};

function usage() {
  return `usage: node bench/pod_bench.mjs [options]
  --duration S            measured seconds per run (${DEFAULTS.duration})
  --warmup S              warm-up seconds per run, discarded (${DEFAULTS.warmup})
  --connections N         autocannon connections (${DEFAULTS.connections})
  --pods N                pods created through POST /.account/signup before the load (${DEFAULTS.pods}; 0 = skip)
  --signup-concurrency N  parallel sign-ups (${DEFAULTS.signupConcurrency})
  --sig-pool N            pre-signed HTTP signatures per method, cycled (${DEFAULTS.sigPool})
  --dpop-pool N           pre-generated DPoP proofs per CSS run, never reused (${DEFAULTS.dpopPool})
  --pod-dpop-pool N       pre-generated DPoP proofs per pod-server Solid-OIDC run phase, never reused
                          (0 = auto: warm-up sized from the anonymous rate of the same method, measured run
                          from the warm-up's rate, both with margin; if a pool runs dry the rest are signed
                          on the fly and counted) (${DEFAULTS.podDpopPool})
  --pod-dpop-on-the-fly   sign each pod-server DPoP proof in autocannon's setupRequest instead (costs the
                          load generator ~30-40 µs of CPU per request; for comparison)
  --skip-pod-dpop         do not run pod-server's Solid-OIDC (DPoP) cases
  --pod-server PATH       pod-server binary (${DEFAULTS.podServer})
  --out PATH              Markdown report (${DEFAULTS.out}); --no-write to skip
  --skip-css              pod-server only
  --skip-css-auth         do not try the authenticated CSS runs
  --rss-cap MiB           stop the sign-ups when pod-server's VmRSS passes this (${DEFAULTS.rssCap}), then go on with the load
  --pod-env KEY=VALUE     extra environment variable for pod-server (repeatable; printed in the report),
                          e.g. MALLOC_MMAP_THRESHOLD_=131072 to test glibc heap retention
  --timeout S             global watchdog (${DEFAULTS.timeout})
  --tool wrk|autocannon   load generator for both servers (default: wrk when on PATH, else autocannon).
                          wrk (C, one thread) costs the shared cores far less CPU per request than
                          autocannon (Node); per-request headers are pre-formatted requests it cycles through`;
}

function parseArgs(argv) {
  const o = { ...DEFAULTS, podEnv: {}, write: true };
  const num = (v, k) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} wants a number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--duration': o.duration = num(next(), 'duration'); break;
      case '--warmup': o.warmup = num(next(), 'warmup'); break;
      case '--connections': o.connections = num(next(), 'connections'); break;
      case '--pods': o.pods = num(next(), 'pods'); break;
      case '--signup-concurrency': o.signupConcurrency = Math.max(1, num(next(), 'signup-concurrency')); break;
      case '--sig-pool': o.sigPool = Math.max(1, num(next(), 'sig-pool')); break;
      case '--dpop-pool': o.dpopPool = Math.max(1, num(next(), 'dpop-pool')); break;
      case '--pod-dpop-pool': o.podDpopPool = Math.floor(num(next(), 'pod-dpop-pool')); break;
      case '--pod-dpop-on-the-fly': o.podDpopOnTheFly = true; break;
      case '--skip-pod-dpop': o.skipPodDpop = true; break;
      case '--pod-server': o.podServer = path.resolve(next()); break;
      case '--out': o.out = path.resolve(next()); break;
      case '--no-write': o.write = false; break;
      case '--skip-css': o.skipCss = true; break;
      case '--skip-css-auth': o.skipCssAuth = true; break;
      case '--timeout': o.timeout = num(next(), 'timeout'); break;
      case '--tool': {
        o.tool = next();
        if (!['wrk', 'autocannon'].includes(o.tool)) throw new Error(`--tool wants wrk or autocannon, got ${o.tool}`);
        break;
      }
      case '--rss-cap': o.rssCap = num(next(), 'rss-cap'); break;
      case '--pod-env': {
        const kv = next();
        const eq = kv.indexOf('=');
        if (eq < 1) throw new Error(`--pod-env wants KEY=VALUE, got ${kv}`);
        o.podEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '-h': case '--help': console.log(usage()); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n${usage()}`);
    }
  }
  return o;
}

let OPTS;
try {
  OPTS = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(e.message);
  process.exit(64);
}

if (!OPTS.tool) {
  try { execFileSync('wrk', ['--version'], { stdio: 'ignore' }); OPTS.tool = 'wrk'; } catch (e) {
    // wrk --version exits 1 after printing its banner: found all the same.
    OPTS.tool = e.code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
}
if (OPTS.tool === 'wrk' && OPTS.podDpopOnTheFly) {
  console.error('--pod-dpop-on-the-fly signs in autocannon\'s setupRequest: use it with --tool autocannon');
  process.exit(64);
}

const log = (...a) => console.error(`[pod_bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ------------------------------------------------------------------------------------------------
// Dependencies

function findPackage(name, dirs) {
  for (const d of dirs) {
    if (d && fs.existsSync(path.join(d, name, 'package.json'))) return path.join(d, name);
  }
  return null;
}
const nodeDirs = [
  process.env.BENCH_NODE_MODULES,
  path.join(HERE, 'node_modules'),
  path.join(REPO, 'tests/interop/node_modules'),
  '/tmp/bench-node/node_modules',
];
const cssDirs = [
  process.env.CSS_NODE_MODULES,
  path.join(HERE, 'node_modules'),
  path.join(REPO, 'tests/interop/css/node_modules'),
  path.join(REPO, 'tests/interop/node_modules'),
  '/tmp/bench-node/node_modules',
];
const autocannonDir = findPackage('autocannon', nodeDirs);
if (!autocannonDir && OPTS.tool === 'autocannon') {
  console.error(`autocannon not found in ${nodeDirs.filter(Boolean).join(', ')}: run tests/interop/install.sh, or npm install --prefix /tmp/bench-node autocannon@7.15.0`);
  process.exit(2);
}
const autocannon = autocannonDir ? require(autocannonDir) : null;
const autocannonVersion = autocannonDir ? JSON.parse(fs.readFileSync(path.join(autocannonDir, 'package.json'))).version : null;
const cssDir = OPTS.skipCss ? null : findPackage('@solid/community-server', cssDirs);
if (!OPTS.skipCss && !cssDir) {
  console.error(`@solid/community-server not found in ${cssDirs.filter(Boolean).join(', ')}: run tests/interop/install.sh, or npm install --prefix /tmp/bench-node @solid/community-server@7.2.0 (or pass --skip-css)`);
  process.exit(2);
}
const cssVersion = cssDir ? JSON.parse(fs.readFileSync(path.join(cssDir, 'package.json'))).version : null;
const BIND_LO = ['/work/shared/recipes/bind-lo.js', path.join(REPO, 'tests/interop/bind-lo.cjs')].find((p) => fs.existsSync(p));
const SMALL_TTL_PATH = ['/work/shared/recipes/small.ttl'].find((p) => fs.existsSync(p));
// The recipe's 129-byte document, inlined when the recipes folder is absent.
const SMALL_TTL = SMALL_TTL_PATH
  ? fs.readFileSync(SMALL_TTL_PATH)
  : Buffer.from('@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n<#me> a foaf:Person; foaf:name "Alice"; foaf:knows <https://bob.example/profile#me>.\n');

if (!fs.existsSync(OPTS.podServer)) {
  console.error(`${OPTS.podServer} is missing: cargo build --release -p pod-server`);
  process.exit(2);
}

// ------------------------------------------------------------------------------------------------
// Processes, temp data, cleanup

const children = new Set(); // { name, child, exited }
const tempDirs = [];
const closers = [];
let cleaningUp = null;

function mkTemp(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

function startProcess(name, cmd, args, { env, logFile, cwd } = {}) {
  const fd = fs.openSync(logFile, 'a');
  // Own process group (detached) so that the group of the process we started can be signalled.
  const child = spawn(cmd, args, { env: env || process.env, cwd, stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  const p = { name, child, logFile, exited: false, exitInfo: null };
  p.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      p.exited = true;
      p.exitInfo = { code, signal };
      resolve(p.exitInfo);
    });
    child.on('error', (err) => {
      p.exited = true;
      p.exitInfo = { error: err.message };
      resolve(p.exitInfo);
    });
  });
  children.add(p);
  return p;
}

async function stopProcess(p, graceMs = 8000) {
  if (!p || p.exited) return p?.exitInfo;
  const sig = (s) => {
    try { process.kill(-p.child.pid, s); } catch { try { p.child.kill(s); } catch { /* gone */ } }
  };
  sig('SIGTERM');
  const t = await Promise.race([p.exitPromise, sleep(graceMs).then(() => 'timeout')]);
  if (t === 'timeout') {
    log(`${p.name} (pid ${p.child.pid}) still running ${graceMs} ms after SIGTERM: SIGKILL`);
    sig('SIGKILL');
    await Promise.race([p.exitPromise, sleep(3000)]);
  }
  return p.exitInfo;
}

function tail(file, lines = 30) {
  try {
    const t = fs.readFileSync(file, 'utf8').split('\n');
    return t.slice(-lines).join('\n');
  } catch { return ''; }
}

async function cleanup() {
  if (cleaningUp) return cleaningUp;
  cleaningUp = (async () => {
    for (const c of closers.splice(0)) { try { await c(); } catch { /* ignore */ } }
    await Promise.all([...children].map((p) => stopProcess(p)));
    for (const d of tempDirs.splice(0)) {
      try { fs.rmSync(d, { recursive: true, force: true }); } catch (e) { log(`could not remove ${d}: ${e.message}`); }
    }
  })();
  return cleaningUp;
}

for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(s, async () => {
    log(`${s}: stopping the servers`);
    await cleanup();
    process.exit(130);
  });
}
const watchdog = setTimeout(async () => {
  log(`watchdog: still running after ${OPTS.timeout} s, giving up`);
  await cleanup();
  process.exit(3);
}, OPTS.timeout * 1000);
watchdog.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function runToEnd(cmd, args, { timeoutMs = 60000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env || process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${timeoutMs} ms`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ out, err });
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code ?? signal}: ${err.trim() || out.trim()}`));
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Ports 4100-4199, HTTP helper

async function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
const takenPorts = new Set();
async function freePort() {
  for (let p = OPTS.portMin; p <= OPTS.portMax; p++) {
    if (takenPorts.has(p)) continue;
    if (await portFree(p)) { takenPorts.add(p); return p; }
  }
  throw new Error(`no free port in ${OPTS.portMin}-${OPTS.portMax}`);
}

// Always connect to 127.0.0.1, with Host: localhost:PORT (the servers' base URLs say localhost).
function request({ port, method = 'GET', path: p, headers = {}, body, timeoutMs = 30000, agent }) {
  return new Promise((resolve, reject) => {
    const h = { host: `localhost:${port}`, ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${p}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function expectStatus(r, ok, what) {
  if (!ok.includes(r.status)) {
    throw new Error(`${what}: expected ${ok.join('/')} got ${r.status}\n${short(r.body, 600)}`);
  }
  return r;
}
const short = (s, n = 300) => {
  s = String(s ?? '').replace(/\s+/g, ' ').trim();
  return s.length > n ? `${s.slice(0, n)}…` : s;
};

async function waitHttp(port, p, proc, timeoutMs) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    if (proc.exited) throw new Error(`${proc.name} exited (${JSON.stringify(proc.exitInfo)}) before answering; log:\n${tail(proc.logFile)}`);
    try {
      const r = await request({ port, path: p, timeoutMs: 2000 });
      if (r.status < 500) return Date.now() - t0;
      last = `HTTP ${r.status}`;
    } catch (e) { last = e.message; }
    await sleep(200);
  }
  throw new Error(`${proc.name} did not answer on ${port}${p} within ${timeoutMs} ms (${last}); log:\n${tail(proc.logFile)}`);
}

// ------------------------------------------------------------------------------------------------
// /proc figures

function procStatus(pid) {
  const out = {};
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM|Threads):\s+(\d+)/.exec(line);
      if (m) out[m[1]] = Number(m[2]); // kB for Vm*
    }
  } catch { /* gone */ }
  return out;
}
const mib = (kb) => (kb / 1024).toFixed(1);
let CLK_TCK = 100;
try { CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { /* default */ }
// Busy CPU seconds of the whole machine (all processes), to spot other work during a run.
function machineBusySeconds() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) / CLK_TCK;
  } catch { return NaN; }
}
function cpuSeconds(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // utime, stime are fields 14, 15 (1-based) → index 11, 12 after the comm field
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch { return NaN; }
}

// ------------------------------------------------------------------------------------------------
// Crypto: HTTP signatures (draft-cavage, Mastodon style) and DPoP proofs (ES256)

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function makeSigner(keyId, privateKey) {
  return function sign({ method, pathAndQuery, host, date, body }) {
    const headers = { date };
    const names = ['(request-target)', 'host', 'date'];
    const lines = [`(request-target): ${method.toLowerCase()} ${pathAndQuery}`, `host: ${host}`, `date: ${date}`];
    if (body && body.length) {
      headers.digest = `SHA-256=${crypto.createHash('sha256').update(body).digest('base64')}`;
      names.push('digest');
      lines.push(`digest: ${headers.digest}`);
    }
    const signature = crypto.sign('sha256', Buffer.from(lines.join('\n')), privateKey).toString('base64');
    headers.signature = `keyId="${keyId}",algorithm="rsa-sha256",headers="${names.join(' ')}",signature="${signature}"`;
    return headers;
  };
}

// n signatures with distinct Date values (one second apart, going back from now: all within the
// server's 12 h window for runs shorter than 12 h - n s).
function signaturePool(sign, n, req) {
  const now = Date.now();
  const pool = [];
  for (let i = 0; i < n; i++) pool.push(sign({ ...req, date: new Date(now - i * 1000).toUTCString() }));
  return pool;
}

function makeDpop() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const header = b64u(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: { kty, crv, x, y, alg: 'ES256' } }));
  return {
    thumbprint: b64u(crypto.createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest()),
    proof(htm, htu, iat = Math.floor(Date.now() / 1000)) {
      const payload = b64u(JSON.stringify({ htu, htm, jti: crypto.randomUUID(), iat }));
      const input = `${header}.${payload}`;
      const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${b64u(sig)}`;
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Load runs

const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN);

// One autocannon run. `nextHeaders()` (optional) gives per-request headers (signatures, DPoP proofs).
function autocannonRun({ port, method, urlPath, headers, body, seconds, nextHeaders, samples }) {
  return new Promise((resolve, reject) => {
    const lat = [];
    const statusCounts = {};
    const base = { host: `localhost:${port}`, ...headers };
    const req = { method, path: urlPath, headers: base };
    if (body) req.body = body;
    if (nextHeaders) {
      req.setupRequest = (r) => ({ ...r, headers: { ...r.headers, ...nextHeaders() } });
    }
    req.onResponse = (status, resBody) => {
      if ((status < 200 || status >= 300) && samples && samples.length < 5) {
        samples.push({ status, body: short(resBody, 400) });
      }
    };
    const inst = autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: OPTS.connections,
      pipelining: 1,
      duration: seconds,
      timeout: 10,
      requests: [req],
    }, (err, result) => {
      if (err) return reject(err);
      const sorted = Float64Array.from(lat).sort();
      resolve({ result, latencies: sorted, statusCounts });
    });
    inst.on('response', (_client, status, _bytes, responseTime) => {
      statusCounts[status] = (statusCounts[status] || 0) + 1;
      if (status >= 200 && status < 300) lat.push(responseTime);
    });
    inst.on('reqError', (e) => {
      if (samples && samples.length < 5) samples.push({ status: 'error', body: e.message });
    });
  });
}

// The Lua side of a wrk run. Static requests use wrk's own formatting (no Lua per request); with
// per-request headers, the requests are pre-formatted by this script into a file (NUL-separated)
// and `request()` hands out the next one, wrapping around (counted) at the end. `done` prints one
// JSON line: counts, exact µs percentiles from wrk's histogram.
const WRK_LUA = `
wrapped = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + (t:get("wrapped") or 0) end
  local e = summary.errors
  io.write(string.format(
    '\\nWRK-RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d,"p999":%d,"max":%d,"wrapped":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, w))
end
`;

// Added to WRK_LUA when each request has its own headers (wrk decides before `init` runs whether
// `request` is a function, so it must be defined at load time).
const WRK_LUA_DYNAMIC = `
local data, pos = nil, 1
function init(args)
  local f = assert(io.open(args[1], "rb"))
  data = f:read("*a")
  f:close()
end
function request()
  local e = string.find(data, "\\0", pos, true)
  if e == nil then
    wrapped = wrapped + 1
    pos = 1
    e = string.find(data, "\\0", pos, true)
  end
  local r = string.sub(data, pos, e - 1)
  pos = e + 1
  return r
end
`;

function rawRequest({ port, method, urlPath, headers, body }) {
  const lines = [`${method} ${urlPath} HTTP/1.1`, `Host: localhost:${port}`];
  for (const [k, v] of Object.entries(headers || {})) lines.push(`${k}: ${v}`);
  const b = body ? Buffer.from(body) : null;
  if (b) lines.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), b || Buffer.alloc(0)]);
}

// One wrk run (one thread, OPTS.connections connections, 10 s timeout), same result shape as
// autocannonRun plus `pcts` (wrk keeps a histogram, not every latency) and the client's CPU
// seconds (wrk is a child process: GNU time reads them). `nextHeaders` is called `count` times
// up front to pre-format the requests.
function wrkRun({ port, method, urlPath, headers, body, seconds, nextHeaders, count, reusable, samples }) {
  const dir = mkTemp('pod-bench-wrk-');
  const lua = path.join(dir, 'run.lua');
  let script = WRK_LUA;
  const args = [];
  if (nextHeaders) {
    const n = Math.max(1, count || 1);
    const parts = [];
    for (let i = 0; i < n; i++) {
      parts.push(rawRequest({ port, method, urlPath, headers: { ...headers, ...nextHeaders() }, body }), Buffer.from([0]));
    }
    fs.writeFileSync(path.join(dir, 'requests.bin'), Buffer.concat(parts));
    script += WRK_LUA_DYNAMIC;
    args.push(path.join(dir, 'requests.bin'));
  } else {
    const hs = Object.entries({ Host: `localhost:${port}`, ...headers })
      .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(String(v))}`).join('\n');
    script += `\nwrk.method = ${JSON.stringify(method)}\n${hs}\n${body ? `wrk.body = ${JSON.stringify(String(body))}\n` : ''}`;
  }
  fs.writeFileSync(lua, script);
  const timeFile = path.join(dir, 'time');
  return async () => {
    const { out } = await runToEnd('/usr/bin/time', [
      '-f', '%U %S', '-o', timeFile, 'wrk', '-t', '1', '-c', String(OPTS.connections), '-d', `${seconds}s`,
      '--timeout', '10s', '-s', lua, `http://127.0.0.1:${port}${urlPath}`, '--', ...args,
    ], { timeoutMs: (seconds + 60) * 1000 });
    const line = out.split('\n').find((l) => l.startsWith('WRK-RESULT '));
    if (!line) throw new Error(`wrk printed no result: ${out.trim()}`);
    const w = JSON.parse(line.slice('WRK-RESULT '.length));
    const [user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
    const duration = w.duration_us / 1e6;
    const errors = w.connect + w.read + w.write;
    const ok = w.requests - w.status;
    if (w.status && samples && samples.length < 5) samples.push({ status: '4xx/5xx', body: `${w.status} answer(s) with status >= 400 (wrk does not keep bodies)` });
    if (w.wrapped && !reusable && samples && samples.length < 5) samples.push({ status: 'wrapped', body: `the ${count} pre-formatted requests were used ${w.wrapped + 1} times over` });
    return {
      result: { duration, '2xx': ok, non2xx: w.status, errors, timeouts: w.timeout },
      latencies: null,
      pcts: { p50: w.p50 / 1000, p99: w.p99 / 1000, p999: w.p999 / 1000, max: w.max / 1000 },
      statusCounts: { '< 400': ok, '>= 400': w.status },
      clientCpuSeconds: (user || 0) + (sys || 0),
      wrapped: reusable ? 0 : w.wrapped,
    };
  };
}

function wrkVersion() {
  try {
    return execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  } catch (e) {
    return String(e.stdout || '').split('\n')[0].replace(/ Copyright.*/, '') || 'wrk';
  }
}

// The load generator chosen by --tool, made ready (wrk's requests pre-formatted) outside the
// timed window: returns the function that runs it. `count` = how many per-request header sets
// wrk pre-formats; `reusable` = they may be sent again (signatures), unlike DPoP proofs.
function loadRun(o) {
  return OPTS.tool === 'wrk' ? wrkRun(o) : () => autocannonRun(o);
}

// Warm-up (discarded) then the measured run. `prepare(phase, warm)` is called right before each of
// the two (fresh DPoP proofs; `warm` = the warm-up's figures for the measured phase) and returns
// { nextHeaders, info }.
// Waits (up to 60 s) until the machine is idle: less than 15 % of one core busy over 1 s. Big frees
// (a server that held gigabytes) keep the kernel busy reclaiming for a while on this VM.
async function waitQuiet() {
  const t0 = Date.now();
  for (;;) {
    const b0 = machineBusySeconds();
    await sleep(1000);
    const busy = machineBusySeconds() - b0;
    if (!(busy > 0.15)) return { waitedMs: Date.now() - t0, quiet: true };
    if (Date.now() - t0 > 60000) {
      log(`machine still ${(busy * 100).toFixed(0)} % busy after 60 s of waiting; running anyway`);
      return { waitedMs: Date.now() - t0, quiet: false, busyPct: busy * 100 };
    }
  }
}

async function load(name, server, { port, pid, method, urlPath, headers, body, prepare }) {
  const samples = [];
  const quiet = await waitQuiet();
  const prepared0 = prepare ? prepare('warm-up') : {};
  const warmSamples = [];
  const w = await loadRun({ port, method, urlPath, headers, body, seconds: OPTS.warmup, nextHeaders: prepared0.nextHeaders, count: prepared0.count, reusable: prepared0.reusable, samples: warmSamples })();
  // wrk takes its pre-made proofs in order: it used as many as it sent requests.
  const wrkUsed = (info, r) => {
    if (OPTS.tool === 'wrk' && info && 'used' in info) info.used = Math.min(info.poolSize, r['2xx'] + r.non2xx + r.errors + r.timeouts);
  };
  wrkUsed(prepared0.info, w.result);
  // The warm-up's answers are kept too: "every request answered 2xx" covers it.
  const warm = {
    seconds: w.result.duration,
    ok: w.result['2xx'],
    non2xx: w.result.non2xx,
    errors: w.result.errors,
    timeouts: w.result.timeouts,
    statusCounts: w.statusCounts,
    rps: w.result['2xx'] / (w.result.duration || 1),
    samples: warmSamples,
    info: prepared0.info,
  };
  const prepared = prepare ? prepare('measured', warm) : {};
  const run = loadRun({
    port, method, urlPath, headers, body, seconds: OPTS.duration, nextHeaders: prepared.nextHeaders, count: prepared.count, reusable: prepared.reusable, samples,
  });
  const cpu0 = cpuSeconds(pid);
  const busy0 = machineBusySeconds();
  const me0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { result, latencies, pcts, statusCounts, clientCpuSeconds, wrapped } = await run();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const me = process.cpuUsage(me0);
  const serverCpu = (cpuSeconds(pid) - cpu0) / wall;
  const machineCpu = (machineBusySeconds() - busy0) / wall;
  // wrk's own CPU plus this process's (the pre-formatting happens before t0, so it is not counted).
  const clientCpu = ((me.user + me.system) / 1e6 + (clientCpuSeconds || 0)) / wall;
  if (wrapped && prepared.info) prepared.info.reused = wrapped;
  wrkUsed(prepared.info, result);
  const ok = result['2xx'];
  const r = {
    name, server, method, urlPath,
    seconds: result.duration,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
    rps: ok / result.duration,
    p50: pcts ? pcts.p50 : pct(latencies, 0.5),
    p99: pcts ? pcts.p99 : pct(latencies, 0.99),
    p999: pcts ? pcts.p999 : pct(latencies, 0.999),
    max: pcts ? pcts.max : (latencies.length ? latencies[latencies.length - 1] : NaN),
    serverCpuPct: serverCpu * 100,
    clientCpuPct: clientCpu * 100,
    otherCpuPct: Math.max(0, machineCpu - serverCpu - clientCpu) * 100,
    samples,
    info: prepared.info,
    warm,
    quiet,
  };
  log(`${server} ${name}: ${r.rps.toFixed(0)} req/s (2xx), p50 ${r.p50?.toFixed(2)} ms, p99 ${r.p99?.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}, server CPU ${r.serverCpuPct.toFixed(0)} %, client CPU ${r.clientCpuPct.toFixed(0)} %, other ${r.otherCpuPct.toFixed(0)} %`);
  if (samples.length) log(`  ${server} ${name} non-2xx / errors:`, JSON.stringify(samples));
  if (warm.non2xx || warm.errors || warm.timeouts) log(`  ${server} ${name} warm-up: non-2xx ${warm.non2xx}, errors ${warm.errors}, timeouts ${warm.timeouts}`, JSON.stringify(warmSamples));
  return r;
}

// ------------------------------------------------------------------------------------------------
// Servers

async function startPodServer() {
  const dir = mkTemp('pod-bench-pods-');
  const data = path.join(dir, 'data');
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const password = 'bench-password-0';
  const t0 = Date.now();
  const created = await runToEnd(OPTS.podServer, ['create-pod', 'bench', '--password', password, '--data', data, '--listen', listen], { timeoutMs: 60000 });
  const createMs = Date.now() - t0;
  const pod = JSON.parse(created.out.trim().split('\n').pop());
  // Solid-OIDC client credentials for the bench pod's resident: made offline, before `serve` (the
  // store is locked while the server runs).
  let client = null;
  if (!OPTS.skipPodDpop) {
    const cc = await runToEnd(OPTS.podServer, ['create-client', 'bench', '--label', 'pod-bench', '--data', data, '--listen', listen], { timeoutMs: 60000 });
    client = JSON.parse(cc.out.trim().split('\n').pop());
    for (const k of ['client_id', 'client_secret', 'webid', 'issuer']) {
      if (!client[k]) throw new Error(`pod-server create-client printed no ${k}: ${cc.out.trim()}`);
    }
    if (client.webid !== pod.webid) throw new Error(`create-client's WebID ${client.webid} is not the pod's ${pod.webid}`);
  }
  const proc = startProcess('pod-server', OPTS.podServer, ['serve', '--data', data, '--listen', listen, '--dev'], {
    logFile: path.join(dir, 'pod-server.log'),
    env: { ...process.env, KOMMON_LOG: process.env.KOMMON_LOG || 'warn', ...OPTS.podEnv },
  });
  const startMs = await waitHttp(port, '/health', proc, 30000);
  log(`pod-server pid ${proc.child.pid} on ${listen} (create-pod ${createMs} ms, ready in ${startMs} ms): ${JSON.stringify(pod)}${client ? `; client ${client.client_id}, issuer ${client.issuer}` : ''}`);
  return { proc, port, dir, data, pod, password, createMs, startMs, client };
}

async function startCss() {
  const dir = mkTemp('pod-bench-css-');
  const port = await freePort();
  const seed = path.join(dir, 'seed.json');
  const account = { email: 'bench@example.com', password: 'bench-secret' };
  fs.writeFileSync(seed, JSON.stringify([{ ...account, pods: [{ name: 'bench' }] }]));
  const bin = path.join(cssDir, 'bin/server.js');
  const env = { ...process.env };
  if (BIND_LO) env.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}--require ${BIND_LO}`;
  // Components.js scans every node_modules folder above its main module path; CSS installed in a
  // nested tree (tests/interop/css/) would also pick up tests/interop/node_modules (Comunica 4, whose
  // components need a remote context → start-up fails offline). Point -m at a folder of our own whose
  // only node_modules is a link to CSS's tree.
  const mm = path.join(dir, 'main-module');
  fs.mkdirSync(mm);
  fs.symlinkSync(path.dirname(path.dirname(cssDir)), path.join(mm, 'node_modules'));
  fs.writeFileSync(path.join(mm, 'package.json'), '{"name":"pod-bench-css","private":true}');
  const args = [bin, '-p', String(port), '-b', `http://localhost:${port}/`, '-l', 'warn', '--seedConfig', seed, '-m', mm];
  const proc = startProcess('css', process.execPath, args, { env, logFile: path.join(dir, 'css.log'), cwd: dir });
  const startMs = await waitHttp(port, '/', proc, 120000);
  log(`CSS ${cssVersion} pid ${proc.child.pid} on 127.0.0.1:${port} (ready in ${startMs} ms)`);
  return { proc, port, dir, account, startMs, args: ['node', path.relative(REPO, bin), ...args.slice(1, -2), '-m', '<dir with node_modules → CSS tree>'], webid: `http://localhost:${port}/bench/profile/card#me` };
}

// A remote ActivityPub actor on loopback for pod-server's HTTP signatures.
async function startActor() {
  const port = await freePort();
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const id = `http://127.0.0.1:${port}/actor`;
  const doc = JSON.stringify({
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
    id,
    type: 'Person',
    preferredUsername: 'benchactor',
    // An ActivityPub actor has an inbox and an outbox; pod-server refuses one without them.
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) },
  });
  const fetches = [];
  const server = http.createServer((req, res) => {
    fetches.push({ method: req.method, url: req.url, accept: req.headers.accept });
    if (req.method === 'GET' && req.url === '/actor') {
      res.writeHead(200, { 'content-type': 'application/activity+json' });
      res.end(doc);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { id, keyId: `${id}#main-key`, privateKey, fetches, port };
}

function aclTurtle(target, rules) {
  let t = '@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n';
  rules.forEach((r, i) => {
    const who = r.agent ? `acl:agent <${r.agent}>` : 'acl:agentClass foaf:Agent';
    t += `<#r${i}> a acl:Authorization; ${who}; acl:accessTo <${target}>; acl:mode ${r.modes.map((m) => `acl:${m}`).join(', ')}.\n`;
  });
  return t;
}

// ------------------------------------------------------------------------------------------------
// Sign-ups

async function signups(pod, n, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  const failures = [];
  let next = 0;
  let created = 0;
  let stopped = null;
  const t0 = Date.now();
  let lastLog = t0;
  const pid = pod.proc.child.pid;
  async function worker() {
    for (;;) {
      if (stopped || pod.proc.exited) return;
      const i = next++;
      if (i >= n) return;
      const name = `u${String(i).padStart(5, '0')}`;
      const form = new URLSearchParams({
        name, display_name: `User ${i}`, email: `${name}@example.org`, password: 'signup-pass-1', password_again: 'signup-pass-1',
      }).toString();
      let r;
      try {
        r = await request({ port: pod.port, method: 'POST', path: '/.account/signup', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, agent, timeoutMs: 60000 });
      } catch (e) {
        r = { status: 'error', body: e.message };
      }
      statuses[r.status] = (statuses[r.status] || 0) + 1;
      if (r.status === 201) created++;
      const rssKb = procStatus(pid).VmRSS;
      if (!stopped && rssKb > OPTS.rssCap * 1024) {
        stopped = { after: created, rssKb, atMs: Date.now() - t0 };
        log(`  sign-ups stopped: pod-server VmRSS ${mib(rssKb)} MiB passed the cap of ${OPTS.rssCap} MiB after ${created} pods`);
      }
      if (r.status !== 201 && failures.length < 5) failures.push({ name, status: r.status, body: short(r.body.replace(/<[^>]+>/g, ' '), 400) });
      const now = Date.now();
      if (now - lastLog > 15000) {
        lastLog = now;
        const done = Object.values(statuses).reduce((a, b) => a + b, 0);
        log(`  sign-ups: ${done}/${n} (${(done / ((now - t0) / 1000)).toFixed(1)}/s), RSS ${mib(procStatus(pod.proc.child.pid).VmRSS)} MiB`);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  const ms = Date.now() - t0;
  const attempted = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { n, attempted, created, ms, perSecond: created / (ms / 1000), statuses, failures, stopped, serverExited: pod.proc.exited ? pod.proc.exitInfo : null };
}

// ------------------------------------------------------------------------------------------------
// Main

const report = {
  started: new Date().toISOString(),
  runs: [],
  notes: [],
  memory: {},
};

async function setupPodServer(pod, actor) {
  const owner = pod.pod.webid;
  const storage = pod.pod.storage; // http://localhost:PORT/bench/data/
  const rel = (u) => new URL(u).pathname;
  const dev = { 'x-kommon-dev-agent': owner };
  const pub = `${storage}bench-public.ttl`;
  const priv = `${storage}bench-private.ttl`;
  const ttl = { 'content-type': 'text/turtle' };
  const port = pod.port;
  expectStatus(await request({ port, method: 'PUT', path: rel(pub), headers: { ...dev, ...ttl }, body: SMALL_TTL }), [201, 204, 205], 'pod-server: owner PUT public resource');
  expectStatus(await request({ port, method: 'PUT', path: rel(`${pub}.acl`), headers: { ...dev, ...ttl }, body: aclTurtle(pub, [{ agent: owner, modes: ['Read', 'Write', 'Control'] }, { modes: ['Read', 'Write'] }]) }), [201, 204, 205], 'pod-server: owner PUT public resource ACL');
  expectStatus(await request({ port, method: 'PUT', path: rel(priv), headers: { ...dev, ...ttl }, body: SMALL_TTL }), [201, 204, 205], 'pod-server: owner PUT private resource');
  expectStatus(await request({ port, method: 'PUT', path: rel(`${priv}.acl`), headers: { ...dev, ...ttl }, body: aclTurtle(priv, [{ agent: owner, modes: ['Read', 'Write', 'Control'] }, { agent: actor.id, modes: ['Read', 'Write'] }]) }), [201, 204, 205], 'pod-server: owner PUT private resource ACL');
  // Checks: anonymous read/write of the public one, anonymous refused on the private one, signed accepted.
  expectStatus(await request({ port, path: rel(pub) }), [200], 'pod-server: anonymous GET public');
  expectStatus(await request({ port, method: 'PUT', path: rel(pub), headers: ttl, body: SMALL_TTL }), [200, 201, 204, 205], 'pod-server: anonymous PUT public');
  expectStatus(await request({ port, path: rel(priv) }), [401, 403], 'pod-server: anonymous GET private (must be refused)');
  const sign = makeSigner(actor.keyId, actor.privateKey);
  const host = `localhost:${port}`;
  const sg = sign({ method: 'GET', pathAndQuery: rel(priv), host, date: new Date().toUTCString() });
  expectStatus(await request({ port, path: rel(priv), headers: sg }), [200], 'pod-server: signed GET private');
  const sp = sign({ method: 'PUT', pathAndQuery: rel(priv), host, date: new Date().toUTCString(), body: SMALL_TTL });
  expectStatus(await request({ port, method: 'PUT', path: rel(priv), headers: { ...ttl, ...sp }, body: SMALL_TTL }), [200, 201, 204, 205], 'pod-server: signed PUT private');
  // A wrong signature is refused (so the authenticated runs really authenticate).
  const bad = { ...sg, signature: sg.signature.replace(/signature="[^"]{8}/, 'signature="AAAAAAAA') };
  expectStatus(await request({ port, path: rel(priv), headers: bad }), [401, 403], 'pod-server: GET with a forged signature (must be refused)');
  return { pub: rel(pub), priv: rel(priv), sign, host };
}

async function setupCssPublic(css) {
  const port = css.port;
  const ttl = { 'content-type': 'text/turtle' };
  const pub = `http://localhost:${port}/bench-public/r.ttl`;
  const rel = (u) => new URL(u).pathname;
  expectStatus(await request({ port, method: 'PUT', path: rel(pub), headers: ttl, body: SMALL_TTL }), [201, 205], 'CSS: PUT public resource');
  expectStatus(await request({ port, method: 'PUT', path: rel(`${pub}.acl`), headers: ttl, body: aclTurtle(pub, [{ agent: css.webid, modes: ['Read', 'Write', 'Control'] }, { modes: ['Read', 'Write'] }]) }), [201, 205], 'CSS: PUT public resource ACL');
  expectStatus(await request({ port, path: rel(pub), headers: { accept: 'text/turtle' } }), [200], 'CSS: anonymous GET public');
  expectStatus(await request({ port, method: 'PUT', path: rel(pub), headers: ttl, body: SMALL_TTL }), [201, 205], 'CSS: anonymous PUT public');
  return { pub: rel(pub) };
}

// Client credentials (CSS account API v0.5) → DPoP-bound access token.
async function cssToken(css, dpop) {
  const port = css.port;
  const json = { 'content-type': 'application/json' };
  const login = expectStatus(await request({ port, method: 'POST', path: '/.account/login/password/', headers: json, body: JSON.stringify(css.account) }), [200], 'CSS: account login');
  const auth = { authorization: `CSS-Account-Token ${JSON.parse(login.body).authorization}` };
  if (!css.cc) {
    const acct = expectStatus(await request({ port, path: '/.account/', headers: auth }), [200], 'CSS: account controls');
    const ccUrl = JSON.parse(acct.body).controls.account.clientCredentials;
    const cc = expectStatus(await request({ port, method: 'POST', path: new URL(ccUrl).pathname, headers: { ...auth, ...json }, body: JSON.stringify({ name: 'bench-token', webId: css.webid }) }), [200, 201], 'CSS: create client credentials');
    css.cc = JSON.parse(cc.body);
  }
  const basic = Buffer.from(`${encodeURIComponent(css.cc.id)}:${encodeURIComponent(css.cc.secret)}`).toString('base64');
  const tokenUrl = `http://localhost:${port}/.oidc/token`;
  const tok = expectStatus(await request({
    port, method: 'POST', path: '/.oidc/token',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', dpop: dpop.proof('POST', tokenUrl) },
    body: 'grant_type=client_credentials&scope=webid',
  }), [200], 'CSS: POST /.oidc/token (client_credentials + DPoP)');
  const t = JSON.parse(tok.body);
  if (t.token_type !== 'DPoP') throw new Error(`CSS token_type ${t.token_type}, wanted DPoP`);
  return t.access_token;
}

async function setupCssPrivate(css) {
  const port = css.port;
  const dpop = makeDpop();
  const token = await cssToken(css, dpop);
  const priv = `http://localhost:${port}/bench/bench-private.ttl`;
  const rel = (u) => new URL(u).pathname;
  const ttl = { 'content-type': 'text/turtle' };
  const authd = (m, u) => ({ authorization: `DPoP ${token}`, dpop: dpop.proof(m, u) });
  expectStatus(await request({ port, method: 'PUT', path: rel(priv), headers: { ...ttl, ...authd('PUT', priv) }, body: SMALL_TTL }), [201, 205], 'CSS: owner PUT private resource (DPoP)');
  expectStatus(await request({ port, method: 'PUT', path: rel(`${priv}.acl`), headers: { ...ttl, ...authd('PUT', `${priv}.acl`) }, body: aclTurtle(priv, [{ agent: css.webid, modes: ['Read', 'Write', 'Control'] }]) }), [201, 205], 'CSS: owner PUT private resource ACL (DPoP)');
  expectStatus(await request({ port, path: rel(priv) }), [401, 403], 'CSS: anonymous GET private (must be refused)');
  expectStatus(await request({ port, path: rel(priv), headers: authd('GET', priv) }), [200], 'CSS: DPoP GET private');
  return { priv: rel(priv), privUrl: priv };
}

// pod-server's own Solid-OIDC provider: client_credentials (client_secret_basic) + DPoP proof →
// DPoP-bound access token for the bench pod's resident.
async function podToken(pod, dpop) {
  const c = pod.client;
  const tokenUrl = new URL('.oidc/token', c.issuer).href;
  const basic = Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64');
  const tok = expectStatus(await request({
    port: pod.port, method: 'POST', path: new URL(tokenUrl).pathname,
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', dpop: dpop.proof('POST', tokenUrl) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'openid webid' }).toString(),
  }), [200], 'pod-server: POST /.oidc/token (client_credentials + DPoP)');
  const t = JSON.parse(tok.body);
  if (t.token_type !== 'DPoP') throw new Error(`pod-server token_type ${t.token_type}, wanted DPoP`);
  if (!t.access_token) throw new Error(`pod-server token answer without access_token: ${short(tok.body)}`);
  return { token: t.access_token, expiresIn: t.expires_in, tokenUrl };
}

// The owner-only resource of the Solid-OIDC runs: like the signed runs' resource (same folder,
// same body, its own ACL document written by the owner) but the ACL names the owner alone.
async function setupPodDpop(pod, podRes) {
  const port = pod.port;
  const owner = pod.pod.webid;
  const rel = (u) => new URL(u).pathname;
  const dev = { 'x-kommon-dev-agent': owner };
  const ttl = { 'content-type': 'text/turtle' };
  const url = `${pod.pod.storage}bench-owner.ttl`;
  expectStatus(await request({ port, method: 'PUT', path: rel(url), headers: { ...dev, ...ttl }, body: SMALL_TTL }), [201, 204, 205], 'pod-server: owner PUT owner-only resource');
  expectStatus(await request({ port, method: 'PUT', path: rel(`${url}.acl`), headers: { ...dev, ...ttl }, body: aclTurtle(url, [{ agent: owner, modes: ['Read', 'Write', 'Control'] }]) }), [201, 204, 205], 'pod-server: owner PUT owner-only resource ACL');
  const dpop = makeDpop();
  const t0 = Date.now();
  const { token, expiresIn, tokenUrl } = await podToken(pod, dpop);
  const tokenMs = Date.now() - t0;
  const authd = (m, u = url) => ({ authorization: `DPoP ${token}`, dpop: dpop.proof(m, u) });
  // Checks: only the owner gets in, and only with a fresh, matching proof.
  const checks = [];
  const check = async (what, ok, req) => {
    const r = expectStatus(await request({ port, path: rel(url), ...req }), ok, `pod-server: ${what}`);
    checks.push(`${what} → ${r.status}`);
    return r;
  };
  await check('anonymous GET', [401, 403], {});
  const host = `localhost:${port}`;
  await check('GET signed by the remote actor (not in the ACL)', [403], { headers: podRes.sign({ method: 'GET', pathAndQuery: rel(url), host, date: new Date().toUTCString() }) });
  const okGet = authd('GET');
  await check('DPoP GET', [200], { headers: okGet });
  await check('the same DPoP proof again (replay)', [401, 403], { headers: okGet });
  await check('DPoP PUT', [200, 201, 204, 205], { method: 'PUT', headers: { ...ttl, ...authd('PUT') }, body: SMALL_TTL });
  await check('DPoP token without a proof', [401, 403], { headers: { authorization: `DPoP ${token}` } });
  await check('DPoP proof for another URL', [401, 403], { headers: authd('GET', `${url}x`) });
  await check('DPoP proof for another method', [401, 403], { headers: authd('PUT') });
  await check('DPoP proof signed by another key', [401, 403], { headers: { authorization: `DPoP ${token}`, dpop: makeDpop().proof('GET', url) } });
  log(`pod-server Solid-OIDC: token in ${tokenMs} ms (expires_in ${expiresIn}); checks: ${checks.join('; ')}`);
  return { path: rel(url), url, tokenUrl, checks, tokenMs, expiresIn };
}

function fmt(n, d = 0) { return Number.isFinite(n) ? n.toFixed(d) : '–'; }
function fmtLat(r) { return r ? `${fmt(r.p50, r.p50 < 10 ? 2 : 0)} / ${fmt(r.p99, r.p99 < 10 ? 2 : 0)} ms` : 'not measured'; }

async function main() {
  const gitRev = (() => { try { return execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch { return '?'; } })();
  const dirty = (() => { try { return execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no']).toString().trim() ? ' (working tree modified)' : ''; } catch { return ''; } })();
  const binStat = fs.statSync(OPTS.podServer);
  report.env = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    autocannon: autocannonVersion,
    tool: OPTS.tool,
    wrk: OPTS.tool === 'wrk' ? wrkVersion() : null,
    css: cssVersion,
    podServer: `${OPTS.podServer} (built ${binStat.mtime.toISOString()}), repository ${gitRev}${dirty}`,
  };
  log(`pod-server ${OPTS.podServer}; CSS ${cssVersion ?? 'skipped'} (${cssDir ?? '-'}); load generator ${OPTS.tool === 'wrk' ? wrkVersion() : `autocannon ${autocannonVersion}`}`);

  const actor = await startActor();
  const pod = await startPodServer();
  report.memory.afterStart = procStatus(pod.proc.child.pid);
  const css = OPTS.skipCss ? null : await startCss();
  if (css) report.memory.cssAfterStart = procStatus(css.proc.child.pid);

  const podRes = await setupPodServer(pod, actor);
  const podDpop = pod.client ? await setupPodDpop(pod, podRes) : null;
  report.podDpop = podDpop;
  if (OPTS.skipPodDpop) report.podDpopSkipped = 'skipped (--skip-pod-dpop)';
  const cssPub = css ? await setupCssPublic(css) : null;
  let cssPriv = null;
  if (css && !OPTS.skipCssAuth) {
    try {
      cssPriv = await setupCssPrivate(css);
    } catch (e) {
      report.cssAuthError = e.message;
      log(`CSS authenticated setup failed, those runs are not measured: ${e.message}`);
    }
  } else if (css) report.cssAuthError = 'skipped (--skip-css-auth)';

  // Pods.
  if (OPTS.pods > 0) {
    log(`creating ${OPTS.pods} pods through POST /.account/signup, ${OPTS.signupConcurrency} at a time`);
    report.memory.beforePods = procStatus(pod.proc.child.pid);
    report.signup = await signups(pod, OPTS.pods, OPTS.signupConcurrency);
    await sleep(2000);
    report.memory.afterPods = procStatus(pod.proc.child.pid);
    if (pod.proc.exited) throw new Error(`pod-server exited during the sign-ups (${report.signup.created} pods created): ${JSON.stringify(pod.proc.exitInfo)}\n${tail(pod.proc.logFile)}`);
    log(`sign-ups: ${JSON.stringify(report.signup.statuses)} in ${(report.signup.ms / 1000).toFixed(1)} s; RSS ${mib(report.memory.afterPods.VmRSS)} MiB (peak ${mib(report.memory.afterPods.VmHWM)} MiB)`);
    if (report.signup.failures.length) log('sign-up failures:', JSON.stringify(report.signup.failures));
  }

  // Load.
  const ttl = { 'content-type': 'text/turtle' };
  const accept = { accept: 'text/turtle' };
  const cases = [];
  cases.push({ key: 'GET', label: 'GET Turtle, public resource (anonymous)' });
  cases.push({ key: 'PUT', label: 'PUT 129-byte Turtle, same public resource (anonymous)' });
  cases.push({ key: 'GET-auth', label: 'GET Turtle, private resource (authenticated)' });
  cases.push({ key: 'PUT-auth', label: 'PUT 129-byte Turtle, private resource (authenticated)' });
  if (podDpop) {
    cases.push({ key: 'GET-dpop', label: 'GET Turtle, owner-only resource (pod-server: Solid-OIDC DPoP)', cssFrom: 'GET-auth' });
    cases.push({ key: 'PUT-dpop', label: 'PUT 129-byte Turtle, owner-only resource (pod-server: Solid-OIDC DPoP)', cssFrom: 'PUT-auth' });
  }

  const podHost = `localhost:${pod.port}`;
  const sigGet = signaturePool(podRes.sign, OPTS.sigPool, { method: 'GET', pathAndQuery: podRes.priv, host: podHost });
  const sigPut = signaturePool(podRes.sign, OPTS.sigPool, { method: 'PUT', pathAndQuery: podRes.priv, host: podHost, body: SMALL_TTL });
  const cycle = (pool) => { let i = 0; return () => pool[i++ % pool.length]; };

  // CSS DPoP: a fresh token per run (600 s lifetime), a fresh pool of proofs right before the warm-up
  // and again before the measured run (iat must stay within 120 s); if the pool runs dry, proofs are
  // signed on the fly (counted).
  const cssDpopPrepare = (method) => {
    let state = null;
    const fn = (phase) => {
      const t0 = Date.now();
      const pool = [];
      for (let i = 0; i < OPTS.dpopPool; i++) pool.push(state.dpop.proof(method, state.url));
      const genMs = Date.now() - t0;
      let i = 0;
      const info = { poolSize: OPTS.dpopPool, genMs, onTheFly: 0 };
      return {
        info,
        count: OPTS.dpopPool,
        nextHeaders: () => {
          let p = pool[i++];
          if (p === undefined) { p = state.dpop.proof(method, state.url); info.onTheFly++; }
          return { authorization: `DPoP ${state.token}`, dpop: p };
        },
      };
    };
    fn.init = async () => {
      const dpop = makeDpop();
      state = { dpop, token: await cssToken(css, dpop), url: cssPriv.privUrl };
    };
    return fn;
  };

  // pod-server Solid-OIDC: a fresh DPoP key and access token per run (3600 s lifetime), then one
  // proof per request, never reused. Pool (default): proofs made right before the warm-up and again
  // right before the measured run, outside the timed window; proof i gets iat = start + i/n of the
  // phase's length (spread over the run like a real client's, so long runs stay within the
  // server's 120 s window). Pool size: --pod-dpop-pool, or auto: the warm-up from the anonymous rate
  // of the same method (an upper bound) × 1.2, the measured run from the warm-up's 2xx rate × 1.5 (× 2 and × 2 with wrk, which cannot sign on the fly),
  // plus 4 per connection; a dry pool falls back to signing on the fly (counted, flagged).
  // --pod-dpop-on-the-fly: every proof signed in setupRequest instead (the client pays ~30-40 µs).
  const podDpopPrepare = (method, refRps) => {
    let state = null;
    const fn = (phase, warm) => {
      const seconds = phase === 'warm-up' ? OPTS.warmup : OPTS.duration;
      if (OPTS.podDpopOnTheFly) {
        const info = { mode: 'on the fly', poolSize: 0, genMs: 0, onTheFly: 0 };
        return {
          info,
          nextHeaders: () => { info.onTheFly++; return { authorization: `DPoP ${state.token}`, dpop: state.dpop.proof(method, state.url) }; },
        };
      }
      let n = OPTS.podDpopPool;
      let basis = '--pod-dpop-pool';
      if (!(n > 0)) {
        // wrk cannot sign on the fly (a dry pool means refused replays): twice the rate then.
        const [fw, fm] = OPTS.tool === 'wrk' ? [2, 2] : [1.2, 1.5];
        const rate = phase === 'warm-up' || !warm ? refRps * fw : Math.max(warm.rps * fm, 100);
        basis = phase === 'warm-up' || !warm ? `anonymous ${method} ${Math.round(refRps)} req/s × ${fw}` : `warm-up ${Math.round(warm.rps)} req/s × ${fm}`;
        n = Math.ceil(Math.max(rate, 100) * Math.max(seconds, 1)) + 4 * OPTS.connections;
      }
      const t0 = Date.now();
      const start = Math.floor(t0 / 1000);
      let pool = new Array(n);
      for (let i = 0; i < n; i++) pool[i] = state.dpop.proof(method, state.url, start + Math.floor((i * seconds) / n));
      const genMs = Date.now() - t0;
      let i = 0;
      const info = { mode: 'pool', poolSize: n, basis, genMs, onTheFly: 0, used: 0 };
      return {
        info,
        count: n,
        nextHeaders: () => {
          let p;
          if (i < n) { p = pool[i]; pool[i++] = undefined; info.used = i; } else {
            if (pool) pool = null;
            p = state.dpop.proof(method, state.url);
            info.onTheFly++;
          }
          return { authorization: `DPoP ${state.token}`, dpop: p };
        },
      };
    };
    fn.init = async () => {
      const dpop = makeDpop();
      const t = await podToken(pod, dpop);
      state = { dpop, token: t.token, url: podDpop.url };
    };
    return fn;
  };
  const byKeyRun = {};

  for (const c of cases) {
    const row = { ...c, css: null, pod: null };
    byKeyRun[c.key] = row;
    // CSS: the DPoP rows show CSS's authenticated run of the same method (already DPoP), not a new run.
    if (c.cssFrom) {
      row.css = byKeyRun[c.cssFrom]?.css ?? null;
      row.cssShared = !!row.css;
    } else if (css) {
      try {
        if (c.key === 'GET') row.css = await load(c.key, 'CSS', { port: css.port, pid: css.proc.child.pid, method: 'GET', urlPath: cssPub.pub, headers: accept });
        if (c.key === 'PUT') row.css = await load(c.key, 'CSS', { port: css.port, pid: css.proc.child.pid, method: 'PUT', urlPath: cssPub.pub, headers: ttl, body: SMALL_TTL });
        if (cssPriv && c.key.endsWith('-auth')) {
          const method = c.key.startsWith('GET') ? 'GET' : 'PUT';
          const prep = cssDpopPrepare(method);
          await prep.init();
          row.css = await load(c.key, 'CSS', {
            port: css.port, pid: css.proc.child.pid, method, urlPath: cssPriv.priv,
            headers: method === 'GET' ? accept : ttl, body: method === 'PUT' ? SMALL_TTL : undefined, prepare: prep,
          });
        }
      } catch (e) {
        row.cssError = e.message;
        log(`CSS ${c.key} failed: ${e.message}`);
      }
      if (css.proc.exited) {
        row.cssError = `CSS exited: ${JSON.stringify(css.proc.exitInfo)}`;
        log(`${row.cssError}\n${tail(css.proc.logFile)}`);
      }
    }
    // pod-server
    const pid = pod.proc.child.pid;
    if (c.key === 'GET') row.pod = await load(c.key, 'pod-server', { port: pod.port, pid, method: 'GET', urlPath: podRes.pub, headers: accept });
    if (c.key === 'PUT') row.pod = await load(c.key, 'pod-server', { port: pod.port, pid, method: 'PUT', urlPath: podRes.pub, headers: ttl, body: SMALL_TTL });
    if (c.key === 'GET-auth') row.pod = await load(c.key, 'pod-server', { port: pod.port, pid, method: 'GET', urlPath: podRes.priv, headers: accept, prepare: () => ({ nextHeaders: cycle(sigGet), count: sigGet.length, reusable: true, info: { pool: sigGet.length } }) });
    if (c.key === 'PUT-auth') row.pod = await load(c.key, 'pod-server', { port: pod.port, pid, method: 'PUT', urlPath: podRes.priv, headers: ttl, body: SMALL_TTL, prepare: () => ({ nextHeaders: cycle(sigPut), count: sigPut.length, reusable: true, info: { pool: sigPut.length } }) });
    if (c.key === 'GET-dpop' || c.key === 'PUT-dpop') {
      const method = c.key.startsWith('GET') ? 'GET' : 'PUT';
      const prep = podDpopPrepare(method, byKeyRun[method]?.pod?.rps || 20000);
      await prep.init();
      row.pod = await load(c.key, 'pod-server', {
        port: pod.port, pid, method, urlPath: podDpop.path,
        headers: method === 'GET' ? accept : ttl, body: method === 'PUT' ? SMALL_TTL : undefined, prepare: prep,
      });
      const x = row.pod;
      const bad = x.non2xx + x.errors + x.timeouts + x.warm.non2xx + x.warm.errors + x.warm.timeouts;
      if (bad) log(`WARNING: pod-server ${c.key}: ${bad} request(s) without a 2xx answer (measured: non-2xx ${x.non2xx}, errors ${x.errors}, timeouts ${x.timeouts}; warm-up: non-2xx ${x.warm.non2xx}, errors ${x.warm.errors}, timeouts ${x.warm.timeouts})`);
      if (x.info?.reused) log(`WARNING: pod-server ${c.key}: wrk ran past the ${x.info.poolSize} pre-made proofs ${x.info.reused} time(s): the reused ones were refused`);
      if (x.info?.onTheFly && x.info.mode === 'pool') log(`WARNING: pod-server ${c.key}: the proof pool (${x.info.poolSize}) ran dry, ${x.info.onTheFly} proofs signed on the fly`);
    }
    if (pod.proc.exited) throw new Error(`pod-server exited during ${c.key}: ${JSON.stringify(pod.proc.exitInfo)}\n${tail(pod.proc.logFile)}`);
    report.runs.push(row);
  }
  await sleep(1000);
  report.memory.afterLoad = procStatus(pod.proc.child.pid);
  if (css) report.memory.cssAfterLoad = procStatus(css.proc.child.pid);
  report.actorFetches = actor.fetches.length;
  report.podServerLogTail = tail(pod.proc.logFile, 20);
  if (css) report.cssLogTail = tail(css.proc.logFile, 20);
  report.cssCommand = css ? css.args.join(' ') : null;
  report.podCommand = `pod-server create-pod bench --password … --data DIR --listen 127.0.0.1:${pod.port}; ${pod.client ? `pod-server create-client bench --label pod-bench --data DIR --listen 127.0.0.1:${pod.port}; ` : ''}pod-server serve --data DIR --listen 127.0.0.1:${pod.port} --dev`;
  report.ports = { podServer: pod.port, css: css?.port, actor: actor.port };
  report.finished = new Date().toISOString();
  return report;
}

function render(r) {
  const L = [];
  const cmd = `bench/pod_bench.sh ${process.argv.slice(2).join(' ')}`.trim();
  L.push('# Pod server benchmark: pod-server vs Community Solid Server');
  L.push('');
  L.push(`Run ${r.started} → ${r.finished}. Command: \`${cmd}\` (from the repository root).`);
  L.push('');
  L.push(`Machine: ${r.env.cpus} × ${r.env.cpuModel}, ${r.env.memGiB} GiB, Linux ${r.env.kernel}; Node ${r.env.node}; load generator ${r.env.tool === 'wrk' ? `${r.env.wrk} (one thread, a child process of the script, for both servers)` : `autocannon ${r.env.autocannon} (programmatic API, in the same Node process as the load generator for both servers)`}; CSS ${r.env.css ?? 'not run'}; pod-server ${r.env.podServer}.`);
  L.push('');
  L.push(`Load: ${OPTS.connections} connections, keep-alive, no pipelining, ${OPTS.warmup} s warm-up (discarded) then ${OPTS.duration} s measured per run, each run started once the machine was idle (< 15 % of a core busy over 1 s${r.runs.some((x) => [x.css, x.pod].some((y) => y && !y.quiet.quiet)) ? '; **not reached before some runs, see other CPU**' : ''}); the two servers are loaded one after the other (never at once), on the same 2 cores as the load generator. req/s counts 2xx answers only; latencies are exact percentiles over the 2xx answers of the measured run.`);
  L.push('');
  L.push('| case | CSS req/s | CSS p50 / p99 | pod-server req/s | pod-server p50 / p99 | ratio (req/s) |');
  L.push('|---|---:|---:|---:|---:|---:|');
  const unanswered = (x) => (x ? x.non2xx + x.errors + x.timeouts + (x.warm ? x.warm.non2xx + x.warm.errors + x.warm.timeouts : 0) : 0);
  for (const row of r.runs) {
    const c = row.css;
    const p = row.pod;
    const cssRps = c ? `${fmt(c.rps, c.rps < 100 ? 1 : 0)}${row.cssShared ? ' †' : ''}` : 'not measured';
    const ratio = c && p && c.rps > 0 ? `${fmt(p.rps / c.rps, 1)}×` : '–';
    const flag = row.key.endsWith('-dpop') && p && unanswered(p) ? ` **⚠ ${unanswered(p)} request(s) not answered 2xx**` : '';
    L.push(`| ${row.label}${flag} | ${cssRps} | ${c ? fmtLat(c) : 'not measured'} | ${p ? fmt(p.rps) : '–'} | ${p ? fmtLat(p) : '–'} | ${ratio} |`);
  }
  L.push('');
  if (r.runs.some((x) => x.cssShared)) {
    L.push('† CSS\'s authenticated runs already use Solid-OIDC DPoP: the DPoP rows repeat CSS\'s authenticated run of the same method (not a second run), so their ratio compares the same protocol on both servers.');
    L.push('');
  }
  // Targets.
  const byKey = Object.fromEntries(r.runs.map((x) => [x.key, x]));
  const ratio = (k) => (byKey[k]?.css && byKey[k]?.pod && byKey[k].css.rps > 0 ? byKey[k].pod.rps / byKey[k].css.rps : NaN);
  const mark = (ok) => (ok === null ? '–' : ok ? '**met**' : '**missed**');
  L.push('Targets:');
  L.push('');
  L.push('| target | measured | verdict |');
  L.push('|---|---|---|');
  const g = ratio('GET');
  const pu = ratio('PUT');
  L.push(`| GET ≥ 50× CSS | ${Number.isFinite(g) ? `${fmt(g, 1)}×` : 'not measured'} | ${mark(Number.isFinite(g) ? g >= 50 : null)} |`);
  L.push(`| PUT ≥ 20× CSS | ${Number.isFinite(pu) ? `${fmt(pu, 1)}×` : 'not measured'} | ${mark(Number.isFinite(pu) ? pu >= 20 : null)} |`);
  // Solid-OIDC cost against anonymous access: anonymous req/s ÷ DPoP req/s (1.0 = free).
  for (const [m, target] of [['GET', 1.3], ['PUT', null]]) {
    const a = byKey[m]?.pod;
    const d = byKey[`${m}-dpop`]?.pod;
    if (!byKey[`${m}-dpop`]) {
      if (m === 'GET') L.push(`| pod-server DPoP-authenticated GET cost / anonymous GET cost ≤ 1.3× | not measured${r.podDpopSkipped ? ` (${r.podDpopSkipped})` : ''} | – |`);
      continue;
    }
    const cost = a && d && d.rps > 0 ? a.rps / d.rps : NaN;
    const what = `${Number.isFinite(cost) ? `${fmt(cost, 2)}×` : 'not measured'} (anonymous ${a ? fmt(a.rps) : '–'} req/s ÷ DPoP ${d ? fmt(d.rps) : '–'} req/s)`;
    L.push(`| pod-server DPoP-authenticated ${m} cost / anonymous ${m} cost${target ? ` ≤ ${target}×` : ' (information)'} | ${what} | ${target ? mark(Number.isFinite(cost) ? cost <= target : null) : 'info'} |`);
  }
  for (const k of ['GET-dpop', 'PUT-dpop']) {
    const d = byKey[k]?.pod;
    if (!d) continue;
    const n = unanswered(d);
    L.push(`| every pod-server DPoP request answered 2xx, ${k} | ${d.ok + d.warm.ok} × 2xx (warm-up ${d.warm.ok} + measured ${d.ok}); non-2xx ${d.non2xx + d.warm.non2xx}, errors ${d.errors + d.warm.errors}, timeouts ${d.timeouts + d.warm.timeouts} | ${n ? '**FAILED: run flagged**' : '**met**'} |`);
  }
  for (const row of r.runs) {
    if (!row.pod) continue;
    L.push(`| pod-server p99 < 10 ms at ${OPTS.connections} connections, ${row.key} | ${fmt(row.pod.p99, 2)} ms | ${mark(row.pod.p99 < 10)} |`);
  }
  const podsRss = r.memory.afterPods?.VmRSS;
  const loadRss = r.memory.afterLoad?.VmRSS;
  if (podsRss) {
    const worst = Math.max(podsRss, loadRss ?? 0);
    const s = r.signup;
    const partial = s.created < s.n;
    L.push(`| pod-server RSS < 300 MiB with ${s.n} pods | ${mib(podsRss)} MiB after ${partial ? `only ${s.created} pods (sign-ups stopped, see below)` : `${s.created} pods`}, ${loadRss ? mib(loadRss) : '?'} MiB after the load | ${mark(partial ? false : worst / 1024 < 300)} |`);
  }
  L.push('');
  // Memory.
  L.push('Memory (pod-server, from `/proc/PID/status`; VmHWM = peak resident set):');
  L.push('');
  const m = r.memory;
  const mm = (x) => (x ? `VmRSS ${mib(x.VmRSS)} MiB, VmHWM ${mib(x.VmHWM)} MiB, ${x.Threads} threads` : '–');
  L.push(`* after start (1 pod): ${mm(m.afterStart)}`);
  if (r.signup) {
    const s = r.signup;
    L.push(`* before the sign-ups (after the benchmark resources were set up): ${mm(m.beforePods)}`);
    L.push(`* after creating ${s.created} of the ${s.n} pods asked for through the running server's \`POST /.account/signup\` (form-urlencoded; ${OPTS.signupConcurrency} in parallel; argon2id per pod; chosen over \`create-pod\`, which takes ≈ 60 ms per pod in a process of its own and cannot run in parallel on one data folder) in ${fmt(s.ms / 1000, 1)} s = ${fmt(s.perSecond, 1)} pods/s, answers ${JSON.stringify(s.statuses)}: ${mm(m.afterPods)}`);
    if (s.created > 0 && m.beforePods && m.afterPods) L.push(`  * growth: ${fmt((m.afterPods.VmRSS - m.beforePods.VmRSS) / 1024 / s.created, 2)} MiB of VmRSS per pod created`);
    if (s.stopped) L.push(`  * **sign-ups stopped** after ${s.stopped.after} pods (${fmt(s.stopped.atMs / 1000, 1)} s): pod-server VmRSS ${mib(s.stopped.rssKb)} MiB passed the cap of ${OPTS.rssCap} MiB (\`--rss-cap\`), set so the machine does not reach the OOM killer; the load runs below use the server as it was then.`);
    if (s.failures.length) L.push(`  * failed sign-ups (first ${s.failures.length}): ${s.failures.map((f) => `\`${f.name}\` → ${f.status}: ${f.body}`).join('; ')}`);
  } else {
    L.push('* pods: not created (--pods 0)');
  }
  L.push(`* after all the load runs: ${mm(m.afterLoad)}`);
  if (m.cssAfterStart) L.push(`* for comparison, CSS (Node, memory backend, 1 pod): ${mm(m.cssAfterStart)} after start, ${mm(m.cssAfterLoad)} after the load`);
  L.push('');
  // Details.
  L.push('Details per run:');
  L.push('');
  L.push('| server | case | 2xx | non-2xx | errors | timeouts | status codes | warm-up 2xx / not 2xx | p99.9 / max | server CPU | client CPU | other CPU |');
  L.push('|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  const own = (row) => [row.cssShared ? null : row.css, row.pod].filter(Boolean);
  for (const row of r.runs) {
    for (const x of own(row)) {
      const wb = x.warm ? x.warm.non2xx + x.warm.errors + x.warm.timeouts : NaN;
      L.push(`| ${x.server} | ${x.name} | ${x.ok} | ${x.non2xx} | ${x.errors} | ${x.timeouts} | ${Object.entries(x.statusCounts).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${x.warm ? `${x.warm.ok} / ${wb}` : '–'} | ${fmt(x.p999, 1)} / ${fmt(x.max, 1)} ms | ${fmt(x.serverCpuPct)} % | ${fmt(x.clientCpuPct)} % | ${fmt(x.otherCpuPct)} % |`);
    }
  }
  L.push('');
  const bad = r.runs.flatMap((row) => own(row).filter((x) => x.samples.length || x.warm?.samples.length));
  if (bad.length) {
    L.push('Non-2xx answers and client errors seen (first ones, verbatim):');
    L.push('');
    for (const x of bad) L.push(`* ${x.server} ${x.name}: ${[...x.samples, ...(x.warm?.samples ?? []).map((s) => ({ ...s, status: `warm-up ${s.status}` }))].slice(0, 5).map((s) => `${s.status} \`${s.body}\``).join('; ')}`);
    L.push('');
  }
  L.push(`Errors / timeouts = requests without an answer within ${OPTS.tool}'s 10 s timeout (the connection is then reused for a new request); they are not counted in req/s nor in the latencies.`);
  L.push('');
  for (const row of r.runs) if (row.cssError) L.push(`* CSS ${row.key}: ${row.cssError}`);
  L.push('How the cases are set up:');
  L.push('');
  L.push(`* Public resource: pod-server \`/bench/data/bench-public.ttl\`, CSS \`/bench-public/r.ttl\` (under CSS's public root), each with its own ACL (\`X.acl\`): \`acl:agentClass foaf:Agent\` Read + Write, the owner's WebID Read + Write + Control. Body: \`small.ttl\` (${SMALL_TTL.length} bytes, text/turtle). GET sends \`Accept: text/turtle\`. All ${OPTS.connections} connections PUT the same resource.`);
  L.push(`* pod-server authenticated: draft-cavage HTTP signatures (rsa-sha256, \`(request-target) host date\` + \`digest\` on PUT) by a remote actor served on loopback by this script (RSA-2048 from node:crypto); its ACL on \`/bench/data/bench-private.ttl\` gives that actor Read + Write (owner Control). The server fetched the actor document ${r.actorFetches} time(s) in the whole run (its key cache; expected 2: the first signed request, and the one refetch the verifier makes after the forged signature below). **Signatures are pre-signed**: a pool of ${OPTS.sigPool} per method with distinct \`Date\` values (1 s apart) cycled through, so the client does not spend its CPU on RSA signing; the server still verifies every signature (it does not reject a reused signature: none of the answers was a 401). pod-server runs with \`--dev\` (needed to fetch an actor on loopback, and used for the owner's setup requests via \`X-Kommon-Dev-Agent\`, never during the load). Anonymous GET on the private resource → 401/403 and a forged signature → 401/403 were checked before the load.`);
  if (r.cssAuthError) {
    L.push(`* CSS authenticated: **not measured** — ${r.cssAuthError}`);
  } else if (r.runs.some((x) => x.key.endsWith('-auth') && x.css)) {
    const info = r.runs.filter((x) => x.key.endsWith('-auth') && x.css).map((x) => `${x.key}: pool ${x.css.info.poolSize} proofs made in ${x.css.info.genMs} ms, ${x.css.info.onTheFly} signed on the fly`).join('; ');
    L.push(`* CSS authenticated: client credentials created with the CSS account API for the seeded owner (\`bench@example.com\`, pod \`/bench/\`), then \`POST /.oidc/token\` (client_secret_basic, DPoP proof) → DPoP-bound access token (a fresh token and DPoP key per run); every request carries \`Authorization: DPoP <token>\` and its own DPoP proof (ES256 via node:crypto, distinct \`jti\`, \`iat\` = generation time, no \`ath\`). **Proofs are pre-generated** right before the warm-up and again right before the measured run (${info}). The resource \`/bench/bench-private.ttl\` has an ACL giving the owner Read + Write + Control. Anonymous GET → 401 was checked.`);
  }
  if (r.podDpop) {
    const d = r.podDpop;
    const runs = r.runs.filter((x) => x.key.endsWith('-dpop') && x.pod);
    const pi = (i) => (i ? (i.mode === 'pool' ? `pool of ${i.poolSize} (${i.basis}) made in ${i.genMs} ms = ${fmt((i.genMs * 1000) / Math.max(1, i.poolSize), 1)} µs/proof, ${i.used} used, ${i.onTheFly} signed on the fly${i.onTheFly ? ' **(pool ran dry)**' : ''}` : `${i.onTheFly} signed on the fly in setupRequest`) : '?');
    const info = runs.map((x) => `${x.key}: warm-up ${pi(x.pod.warm.info)}; measured ${pi(x.pod.info)}`).join('; ');
    L.push(`* pod-server Solid-OIDC (DPoP): client credentials for the bench pod's resident made with \`pod-server create-client bench\` before \`serve\`, then \`POST ${new URL(d.tokenUrl).pathname}\` on pod-server itself (\`grant_type=client_credentials\`, \`scope=openid webid\`, client_secret_basic, DPoP proof; ${d.tokenMs} ms, \`expires_in\` ${d.expiresIn}) → DPoP-bound access token; a fresh DPoP key and token per run. Every request carries \`Authorization: DPoP <token>\` and its own DPoP proof (ES256 via node:crypto, distinct \`jti\`, no \`ath\`), **never reused**. ${OPTS.podDpopOnTheFly ? '**Proofs signed on the fly** in autocannon\'s setupRequest (\`--pod-dpop-on-the-fly\`): the client CPU includes the ES256 signing.' : '**Proofs are pre-generated** right before the warm-up and again right before the measured run, outside the timed window (proof *i* of *n* has \`iat\` = start + *i*/*n* of the run\'s length): signing on the fly costs the client ~30-40 µs per proof, i.e. a good part of one of the two cores at pod-server\'s rate, on the cores the server needs.'} (${info}.) Resource: \`${d.path}\`, same folder and body as the signed runs' resource, with its own ACL (\`bench-owner.ttl.acl\`) naming only the owner (Read + Write + Control). Checked before the load: ${d.checks.join('; ')}. The cost ratio divides the anonymous run's req/s (public resource, no credentials) by the DPoP run's.`);
  } else if (r.podDpopSkipped) {
    L.push(`* pod-server Solid-OIDC (DPoP): not measured (${r.podDpopSkipped}).`);
  }
  if (Object.keys(OPTS.podEnv).length) L.push(`* **pod-server ran with extra environment** (\`--pod-env\`): ${Object.entries(OPTS.podEnv).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`);
  L.push(`* CSS: \`NODE_OPTIONS=--require ${BIND_LO ?? '(none)'} ${r.cssCommand ?? '(not run)'}\` (default config = memory backend, WAC, single process). pod-server: \`${r.podCommand}\` (\`KOMMON_LOG=warn\`).`);
  L.push('* Server CPU = CPU time of the server process during the measured run / wall time (200 % = both cores). Client CPU = the same for the load generator (this Node process, plus the wrk process when wrk is the tool). On 2 cores the load generator competes with the server; a client CPU near 100 % means the client, not the server, may be the limit. Other CPU = the rest of the busy time of the machine (other processes, kernel threads): well above a few % means the run was disturbed.');
  L.push('');
  return L.join('\n');
}

try {
  const r = await main();
  const md = render(r);
  console.log(md);
  if (OPTS.write) {
    fs.writeFileSync(OPTS.out, `${md}\n`);
    log(`report written to ${OPTS.out}`);
  }
  await cleanup();
  process.exit(0);
} catch (e) {
  log(`FAILED: ${e.stack || e.message}`);
  for (const p of children) log(`--- ${p.name} log tail (${p.logFile}):\n${tail(p.logFile, 25)}`);
  await cleanup();
  process.exit(1);
}
