#!/usr/bin/env python3
"""Kommon quad store (kommon-rdf on fjall) vs pyoxigraph, on disk, same data, same queries.

    python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install pyoxigraph==0.5.13
    cargo build --release -p kommon-store
    /tmp/benchenv/bin/python bench/store_bench.py --scale quick

Generates the synthetic network if absent (bench/generate_network.py), then:
  (a) pyoxigraph, in a child process of this script: Store.bulk_load into WORK/oxigraph, flush,
      optimize, sizes on disk, then the query mix (one warm-up, --runs timed runs each);
      and Store.load (transactional) of the same file into a fresh WORK/oxigraph-tx (load only);
  (b) Kommon: KOMMON_BIN bench --db WORK/kommon --load FILE.nq --queries bench/queries --runs N,
      which prints one JSON object on stdout (see bench/README.md for the contract);
then prints a Markdown table with ratios against the targets, and checks that both engines return
the same number of results (and the same result digest when both report one).
If the Kommon binary is missing, the pyoxigraph half still runs and the Kommon half is reported as
skipped.
"""

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYOXIGRAPH_PIN = "0.5.13"
GIB = 1 << 30

TARGETS = {
    "load_rate_ratio_min": 0.7,      # Kommon quads/s >= 0.7 x pyoxigraph bulk_load quads/s
    "query_median_ratio_max": 1.5,   # each query: Kommon median <= 1.5 x pyoxigraph median
    "disk_vs_nquads_max": 2.0,       # Kommon store on disk <= 2 x the N-Quads file size
    "query_rss_max_bytes": GIB,      # Kommon peak RSS while querying < 1 GiB
}


# --- helpers shared by the driver and the pyoxigraph worker -------------------------------------

def dir_usage(path):
    """(allocated bytes as du reports them, apparent bytes) of a directory tree."""
    alloc = apparent = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except FileNotFoundError:
                continue
            alloc += st.st_blocks * 512
            apparent += st.st_size
    return alloc, apparent


def proc_status_bytes(field):
    """VmRSS / VmHWM of this process in bytes (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def percentile(sorted_values, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


def summarize_times(times_s):
    ms = sorted(t * 1000 for t in times_s)
    return {
        "median_ms": round(statistics.median(ms), 4),
        "p90_ms": round(percentile(ms, 90), 4),
        "min_ms": round(ms[0], 4),
        "max_ms": round(ms[-1], 4),
        "runs": len(ms),
    }


def load_queries(qdir):
    queries = {}
    for f in sorted(Path(qdir).glob("*.rq")):
        queries[f.stem] = f.read_text(encoding="utf-8")
    if not queries:
        sys.exit(f"no *.rq files in {qdir}")
    return queries


# --- the pyoxigraph worker (runs in a child process, prints one JSON object) ----------------------

def _materialize(result):
    """(row count, digest) of a pyoxigraph query result; see README for the digest definition."""
    import pyoxigraph as ox
    if isinstance(result, ox.QueryBoolean):
        value = bool(result)
        digest = hashlib.sha256(b"true" if value else b"false").hexdigest()
        return (1 if value else 0), digest
    elif isinstance(result, ox.QuerySolutions):
        width = len(result.variables)
        rows = []
        for sol in result:
            cells = []
            for i in range(width):
                t = sol[i]
                cells.append("" if t is None else str(t))
            rows.append("\t".join(cells))
    else:  # QueryTriples
        rows = [str(t) for t in result]
    rows.sort()
    digest = hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()
    return len(rows), digest


def _count(result):
    import pyoxigraph as ox
    if isinstance(result, ox.QueryBoolean):
        return 1 if bool(result) else 0
    n = 0
    for _ in result:
        n += 1
    return n


def oxigraph_worker(argv):
    ap = argparse.ArgumentParser(prog="store_bench.py _oxigraph-worker")
    ap.add_argument("--db", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--mode", choices=["bulk", "transactional"], default="bulk")
    ap.add_argument("--queries")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--no-optimize", action="store_true")
    a = ap.parse_args(argv)

    import pyoxigraph as ox
    out = {"engine": "pyoxigraph", "version": ox.__version__, "mode": a.mode}
    out["rss_before_load_bytes"] = proc_status_bytes("VmRSS")
    store = ox.Store(a.db)
    t0 = time.perf_counter()
    if a.mode == "bulk":
        store.bulk_load(path=a.load, format=ox.RdfFormat.N_QUADS)
    else:
        store.load(path=a.load, format=ox.RdfFormat.N_QUADS)
    t1 = time.perf_counter()
    out["disk_bytes_after_load"] = dir_usage(a.db)[0]
    store.flush()
    t2 = time.perf_counter()
    out["load_only_seconds"] = round(t1 - t0, 4)
    out["flush_seconds"] = round(t2 - t1, 4)
    out["load_seconds"] = round(t2 - t0, 4)       # parse + index + durable on disk
    out["disk_bytes_after_flush"] = dir_usage(a.db)[0]
    if not a.no_optimize:
        t3 = time.perf_counter()
        store.optimize()
        out["optimize_seconds"] = round(time.perf_counter() - t3, 4)
        out["disk_bytes_after_optimize"] = dir_usage(a.db)[0]
    alloc, apparent = dir_usage(a.db)
    out["disk_bytes"] = alloc
    out["disk_apparent_bytes"] = apparent
    out["rss_after_load_bytes"] = proc_status_bytes("VmRSS")
    out["load_peak_rss_bytes"] = proc_status_bytes("VmHWM")
    t4 = time.perf_counter()
    out["quads"] = len(store)                     # a full scan; not part of the load time
    out["count_seconds"] = round(time.perf_counter() - t4, 4)

    if a.queries and a.runs > 0:
        queries = load_queries(a.queries)
        out["peak_reset"] = reset_peak_rss()
        out["rss_before_queries_bytes"] = proc_status_bytes("VmRSS")
        results = {}
        for name, text in queries.items():
            # warm-up run, also used for the result count and digest
            t = time.perf_counter()
            rows, digest = _materialize(store.query(text, use_default_graph_as_union=True))
            warm = time.perf_counter() - t
            times = []
            for _ in range(a.runs):
                t = time.perf_counter()
                n = _count(store.query(text, use_default_graph_as_union=True))
                times.append(time.perf_counter() - t)
                if n != rows:
                    raise SystemExit(f"{name}: {n} results on a timed run, {rows} on the warm-up")
            r = summarize_times(times)
            r.update(results=rows, digest=digest, warmup_ms=round(warm * 1000, 4))
            results[name] = r
            print(f"  pyoxigraph {name:22s} {rows:7d} results  median {r['median_ms']:10.2f} ms  "
                  f"p90 {r['p90_ms']:10.2f} ms", file=sys.stderr, flush=True)
        out["queries"] = results
        out["query_peak_rss_bytes"] = proc_status_bytes("VmHWM")
        out["rss_after_queries_bytes"] = proc_status_bytes("VmRSS")
    # same meaning as in the Kommon contract: VmHWM at the end, reset after the load
    out["peak_rss_bytes"] = proc_status_bytes("VmHWM")
    del store
    print(json.dumps(out))


# --- the driver ----------------------------------------------------------------------------------

def _rss_watchdog(proc, limit_bytes, state):
    """Kill proc (our own child, by pid) if its RSS goes over limit_bytes.

    The main thread reaps the child only after this thread has stopped, so the pid cannot have
    been reused while we watch it."""
    import signal
    path = f"/proc/{proc.pid}/status"
    while not state.get("done"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) * 1024
                        if rss > limit_bytes:
                            state["killed_at"] = rss
                            os.kill(proc.pid, signal.SIGKILL)
                            return
        except OSError:
            return
        time.sleep(0.5)


def run_json_process(cmd, label, rss_limit_bytes=None):
    """Run cmd, stream its stderr, parse the JSON object it prints on stdout.

    Returns (parsed or None, info) where info has wall seconds, the child's peak RSS from
    wait4 (whole process, load included) and the exit status. With rss_limit_bytes the child
    is killed if its RSS exceeds it (a guard for shared machines)."""
    print(f"$ {' '.join(str(c) for c in cmd)}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=None)
    except OSError as e:
        return None, {"error": f"{label}: cannot start: {e}"}
    state, watchdog = {}, None
    if rss_limit_bytes:
        import threading
        watchdog = threading.Thread(target=_rss_watchdog, args=(p, rss_limit_bytes, state), daemon=True)
        watchdog.start()
    stdout = p.stdout.read()
    state["done"] = True
    if watchdog is not None:
        watchdog.join()
    _pid, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    info = {
        "wall_seconds": round(time.perf_counter() - t0, 3),
        # Linux, kilobytes. NB: a child that resets its VmHWM (clear_refs 5) also resets this,
        # so it is then the peak since the reset, not over the whole process.
        "process_peak_rss_bytes": usage.ru_maxrss * 1024,
        "exit_code": p.returncode,
    }
    if "killed_at" in state:
        info["error"] = (f"{label} killed: RSS {state['killed_at'] / GIB:.1f} GiB over the "
                         f"--max-rss-gib limit of {rss_limit_bytes / GIB:.1f} GiB")
        return None, info
    if p.returncode != 0:
        info["error"] = f"{label} exited with status {p.returncode}"
        return None, info
    text = stdout.decode("utf-8", "replace").strip()
    try:
        return json.loads(text), info
    except json.JSONDecodeError:
        for line in reversed(text.splitlines()):   # tolerate log lines before the object
            if line.startswith("{"):
                try:
                    return json.loads(line), info
                except json.JSONDecodeError:
                    break
        info["error"] = f"{label}: stdout is not one JSON object: {text[:300]!r}"
        return None, info


def fresh_dir(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def ensure_data(args):
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    nq = work / f"network-{args.scale}-seed{args.seed}.nq"
    meta_path = Path(str(nq) + ".meta.json")
    if nq.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("bytes") == nq.stat().st_size:
            print(f"using {nq} ({meta['quads']:,} quads, {meta['bytes'] / 1e6:,.1f} MB)", file=sys.stderr)
            return nq, meta
    sys.path.insert(0, str(HERE))
    import generate_network
    print(f"generating {nq} (scale {args.scale}, seed {args.seed}) ...", file=sys.stderr, flush=True)
    meta = generate_network.generate(str(nq), args.scale, args.seed)
    print(f"generated {meta['quads']:,} quads, {meta['bytes'] / 1e6:,.1f} MB in {meta['seconds']}s",
          file=sys.stderr)
    return nq, meta


def bench_oxigraph(args, nq, qdir):
    work = Path(args.work)
    res = {}
    db = work / "oxigraph"
    fresh_dir(db)
    cmd = [sys.executable, str(Path(__file__).resolve()), "_oxigraph-worker", "--db", db, "--load", nq,
           "--mode", "bulk", "--queries", qdir, "--runs", args.runs]
    print("pyoxigraph: Store.bulk_load + queries ...", file=sys.stderr, flush=True)
    limit = int(args.max_rss_gib * GIB) if args.max_rss_gib else None
    out, info = run_json_process(cmd, "pyoxigraph worker (bulk_load)", limit)
    if out is None:
        sys.exit(info.get("error"))
    out.update(info)
    out["disk_bytes_after_close"] = dir_usage(db)[0]
    res["bulk"] = out
    if not args.skip_transactional:
        db_tx = work / "oxigraph-tx"
        fresh_dir(db_tx)
        cmd = [sys.executable, str(Path(__file__).resolve()), "_oxigraph-worker", "--db", db_tx,
               "--load", nq, "--mode", "transactional", "--runs", 0, "--no-optimize"]
        print("pyoxigraph: Store.load (transactional) ...", file=sys.stderr, flush=True)
        out, info = run_json_process(cmd, "pyoxigraph worker (transactional load)", limit)
        if out is None:
            res["transactional"] = {"error": info.get("error")}
        else:
            out.update(info)
            out["disk_bytes_after_close"] = dir_usage(db_tx)[0]
            res["transactional"] = out
        if not args.keep_stores:
            shutil.rmtree(db_tx, ignore_errors=True)
    return res


def bench_kommon(args, nq, qdir):
    kbin = Path(args.kommon_bin)
    if not kbin.is_absolute() and not kbin.exists():
        kbin = REPO / kbin
    if not kbin.exists():
        return {"skipped": f"binary not found: {args.kommon_bin} "
                           f"(build it with: cargo build --release -p kommon-store)"}
    db = Path(args.work) / "kommon"
    fresh_dir(db)
    cmd = [kbin, "bench", "--db", db, "--load", nq, "--queries", qdir, "--runs", args.runs]
    print("kommon: load + queries ...", file=sys.stderr, flush=True)
    limit = int(args.max_rss_gib * GIB) if args.max_rss_gib else None
    out, info = run_json_process(cmd, "kommon bench", limit)
    if out is None:
        return {"failed": info.get("error"), **info}
    missing = [k for k in ("quads", "load_seconds", "disk_bytes", "peak_rss_bytes", "queries") if k not in out]
    if missing:
        return {"failed": f"kommon bench JSON lacks {missing}", "raw": out, **info}
    out.update(info)
    out["disk_bytes_after_close"] = dir_usage(db)[0]
    return out


# --- report --------------------------------------------------------------------------------------

def fmt_int(n):
    return "–" if n is None else f"{n:,}"


def fmt_mb(n):
    return "–" if n is None else f"{n / 1e6:,.1f} MB"


def fmt_ms(x):
    return "–" if x is None else (f"{x:,.3f}" if x < 1 else f"{x:,.2f}" if x < 100 else f"{x:,.1f}")


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "**FAIL**")


def build_report(meta, nq, ox_res, kommon, args):
    bulk = ox_res["bulk"]
    tx = ox_res.get("transactional") or {}
    have_k = "queries" in kommon and "failed" not in kommon and "skipped" not in kommon
    k = kommon if have_k else {}
    nq_bytes = nq.stat().st_size
    rows, checks, problems = [], [], []

    def row(metric, kv, ov, r, target, ok):
        rows.append((metric, kv, ov, r, target, ok))
        if ok is not None:
            checks.append((metric, ok))

    kq, oq = k.get("quads"), bulk.get("quads")
    row("quads loaded", fmt_int(kq), fmt_int(oq), "", f"= {meta['quads']:,} (N-Quads lines)",
        None if kq is None else kq == meta["quads"])
    if oq != meta["quads"]:
        problems.append(f"pyoxigraph loaded {oq} quads, the file has {meta['quads']}")

    k_rate = kq / k["load_seconds"] if have_k and k.get("load_seconds") else None
    o_rate = oq / bulk["load_seconds"]
    tx_rate = tx["quads"] / tx["load_seconds"] if tx.get("load_seconds") else None
    row("load time (s)", "–" if not have_k else f"{k['load_seconds']:,.2f}", f"{bulk['load_seconds']:,.2f}",
        fmt_ratio(ratio(k.get("load_seconds"), bulk["load_seconds"])), "", None)
    r = ratio(k_rate, o_rate)
    row("load rate (quads/s) vs `Store.bulk_load`", fmt_int(k_rate and round(k_rate)), fmt_int(round(o_rate)),
        fmt_ratio(r), f"≥ {TARGETS['load_rate_ratio_min']}×", None if r is None else r >= TARGETS["load_rate_ratio_min"])
    if tx_rate:
        row("load rate (quads/s) vs `Store.load` (transactional)", fmt_int(k_rate and round(k_rate)),
            fmt_int(round(tx_rate)), fmt_ratio(ratio(k_rate, tx_rate)), "(info)", None)

    # Kommon: measured after the process exited. pyoxigraph: right after bulk_load + flush; its
    # optimize() can double the folder (RocksDB keeps the compacted-away files), see the details.
    k_disk = k.get("disk_bytes_after_close") if have_k else None
    o_disk = bulk.get("disk_bytes_after_flush", bulk.get("disk_bytes_after_close"))
    row("store on disk (after load + flush)", fmt_mb(k_disk), fmt_mb(o_disk), fmt_ratio(ratio(k_disk, o_disk)), "", None)
    kd = ratio(k_disk, nq_bytes)
    row("store on disk / N-Quads size", fmt_ratio(kd), fmt_ratio(ratio(o_disk, nq_bytes)), "",
        f"≤ {TARGETS['disk_vs_nquads_max']}× (Kommon)", None if kd is None else kd <= TARGETS["disk_vs_nquads_max"])

    for name, oqr in bulk["queries"].items():
        kqr = (k.get("queries") or {}).get(name) if have_k else None
        km = kqr.get("median_ms") if kqr else None
        r = ratio(km, oqr["median_ms"])
        ok = None
        if have_k:
            ok = False if kqr is None else r <= TARGETS["query_median_ratio_max"]
            if kqr is None:
                problems.append(f"query {name}: missing from Kommon's output")
        row(f"`{name}` median (ms)", fmt_ms(km) if kqr else ("missing" if have_k else "–"),
            fmt_ms(oqr["median_ms"]), fmt_ratio(r), f"≤ {TARGETS['query_median_ratio_max']}×", ok)

    k_qrss = k.get("peak_rss_bytes") if have_k else None
    o_qrss = bulk.get("peak_rss_bytes", bulk.get("query_peak_rss_bytes"))
    row("peak RSS while querying (VmHWM reset after the load)", fmt_mb(k_qrss), fmt_mb(o_qrss), fmt_ratio(ratio(k_qrss, o_qrss)),
        "< 1 GiB (Kommon)", None if k_qrss is None else k_qrss < TARGETS["query_rss_max_bytes"])
    k_lrss = k.get("load_peak_rss_bytes") if have_k else None
    o_lrss = bulk.get("load_peak_rss_bytes")
    row("peak RSS during the load", fmt_mb(k_lrss), fmt_mb(o_lrss), fmt_ratio(ratio(k_lrss, o_lrss)), "(info)", None)

    # per-query details and result agreement
    details = []
    for name, oqr in bulk["queries"].items():
        kqr = (k.get("queries") or {}).get(name) if have_k else None
        agree = "–"
        if kqr is not None:
            if kqr.get("results") != oqr["results"]:
                agree = "**COUNT MISMATCH**"
                problems.append(f"query {name}: Kommon {kqr.get('results')} results, pyoxigraph {oqr['results']}")
            elif kqr.get("digest") and kqr["digest"] != oqr["digest"]:
                agree = "**DIGEST MISMATCH**"
                problems.append(f"query {name}: same count but different results (digest)")
            else:
                agree = "same count" + (" and digest" if kqr.get("digest") else "")
        details.append((name, fmt_int(kqr.get("results")) if kqr else "–", fmt_int(oqr["results"]),
                        fmt_ms(kqr.get("p90_ms")) if kqr else "–", fmt_ms(oqr["p90_ms"]), agree))

    lines = []
    title = (f"## Kommon store vs pyoxigraph {bulk.get('version')} — scale `{meta['scale']}` "
             f"(seed {meta['seed']}), {args.runs} timed runs per query")
    lines += [title, ""]
    lines.append(f"N-Quads: `{nq.name}`, {meta['quads']:,} quads in {meta['documents']:,} named graphs, "
                 f"{fmt_mb(nq_bytes)}. Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
                 f"Python {platform.python_version()}.")
    if not have_k:
        lines.append("")
        lines.append(f"**Kommon half {'skipped' if 'skipped' in kommon else 'FAILED'}:** "
                     f"{kommon.get('skipped') or kommon.get('failed')}")
    lines += ["", "| metric | Kommon | pyoxigraph | ratio | target | result |", "|---|---:|---:|---:|---|---|"]
    for metric, kv, ov, r, target, ok in rows:
        lines.append(f"| {metric} | {kv} | {ov} | {r} | {target} | {verdict(ok) if target and target != '(info)' else ''} |")
    lines += ["", "| query | results Kommon | results pyoxigraph | p90 Kommon (ms) | p90 pyoxigraph (ms) | agreement |",
              "|---|---:|---:|---:|---:|---|"]
    for d in details:
        lines.append("| " + " | ".join(d) + " |")
    lines += ["", "pyoxigraph details:", ""]
    lines.append(f"* `Store.bulk_load` {bulk['load_only_seconds']:.2f} s + `flush()` {bulk['flush_seconds']:.2f} s "
                 f"= {o_rate:,.0f} quads/s; on disk after load {fmt_mb(bulk['disk_bytes_after_load'])}, after flush "
                 f"{fmt_mb(bulk['disk_bytes_after_flush'])}, after `optimize()` ({bulk.get('optimize_seconds', 0):.2f} s) "
                 f"{fmt_mb(bulk.get('disk_bytes_after_optimize'))}, after close {fmt_mb(bulk.get('disk_bytes_after_close'))}; "
                 f"RSS before load {fmt_mb(bulk.get('rss_before_load_bytes'))}, peak during load "
                 f"{fmt_mb(bulk.get('load_peak_rss_bytes'))}, after load {fmt_mb(bulk.get('rss_after_load_bytes'))}, "
                 f"peak while querying {fmt_mb(o_qrss)}, after queries {fmt_mb(bulk.get('rss_after_queries_bytes'))}.")
    if tx.get("load_seconds"):
        lines.append(f"* `Store.load` (transactional) {tx['load_only_seconds']:.2f} s + `flush()` {tx['flush_seconds']:.2f} s "
                     f"= {tx_rate:,.0f} quads/s, {tx['quads']:,} quads; on disk after close "
                     f"{fmt_mb(tx.get('disk_bytes_after_close'))}; peak RSS {fmt_mb(tx.get('process_peak_rss_bytes'))}.")
    elif tx.get("error"):
        lines.append(f"* `Store.load` (transactional) failed: {tx['error']}")
    if have_k:
        lines.append("")
        lines.append(f"Kommon details: load {k['load_seconds']:.2f} s; disk as reported by the binary "
                     f"{fmt_mb(k.get('disk_bytes'))}, measured after exit {fmt_mb(k_disk)}; peak RSS reported "
                     f"{fmt_mb(k.get('peak_rss_bytes'))}, measured by wait4 {fmt_mb(k.get('process_peak_rss_bytes'))}"
                     f"{', after the queries ' + fmt_mb(k['rss_after_queries_bytes']) if k.get('rss_after_queries_bytes') else ''}.")
    lines.append("")
    if problems:
        lines.append("Problems:")
        lines += [f"* {p}" for p in problems]
    else:
        lines.append("Result counts: " + ("all queries agree." if have_k else "Kommon not run; nothing to compare."))
    failed = [m for m, ok in checks if not ok]
    if have_k:
        lines.append(f"Targets: {len(checks) - len(failed)}/{len(checks)} met"
                     + (f"; failing: {', '.join(failed)}" if failed else "") + ".")
    return "\n".join(lines), problems, failed


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_oxigraph-worker":
        return oxigraph_worker(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["quick", "full"], default="quick")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", default="./bench-data", help="data and stores directory (default ./bench-data)")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per query, after one warm-up (default 15)")
    ap.add_argument("--kommon-bin", default="target/release/kommon-store",
                    help="Kommon store binary (default target/release/kommon-store, relative to the "
                         "current directory, else to the repository root)")
    ap.add_argument("--queries", default=str(HERE / "queries"), help="directory of *.rq files (default bench/queries)")
    ap.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file")
    ap.add_argument("--skip-transactional", action="store_true",
                    help="skip pyoxigraph's transactional Store.load (it holds the whole file in memory)")
    ap.add_argument("--oxigraph-from", metavar="JSON",
                    help="reuse the pyoxigraph figures of a previous --json output (same scale and seed)")
    ap.add_argument("--skip-kommon", action="store_true")
    ap.add_argument("--max-rss-gib", type=float, default=0,
                    help="kill a measured process whose RSS exceeds this many GiB (0 = no limit); "
                         "pyoxigraph's transactional Store.load of the full set needs several GiB")
    ap.add_argument("--keep-stores", action="store_true", help="keep WORK/oxigraph-tx after measuring it")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target fails or results disagree")
    args = ap.parse_args()

    try:
        import pyoxigraph
        if pyoxigraph.__version__ != PYOXIGRAPH_PIN:
            print(f"warning: pyoxigraph {pyoxigraph.__version__}, the reference figures use {PYOXIGRAPH_PIN}",
                  file=sys.stderr)
    except ImportError:
        if not args.oxigraph_from:
            sys.exit(f"pyoxigraph is not installed for {sys.executable}: "
                     f"python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install pyoxigraph=={PYOXIGRAPH_PIN}")

    qdir = Path(args.queries).resolve()
    load_queries(qdir)
    nq, meta = ensure_data(args)
    nq = nq.resolve()

    if args.oxigraph_from:
        prev = json.loads(Path(args.oxigraph_from).read_text(encoding="utf-8"))
        if (prev["data"]["scale"], prev["data"]["seed"], prev["data"]["quads"]) != (meta["scale"], meta["seed"], meta["quads"]):
            sys.exit(f"{args.oxigraph_from} was measured on other data")
        ox_res = prev["oxigraph"]
    else:
        ox_res = bench_oxigraph(args, nq, qdir)

    kommon = {"skipped": "--skip-kommon"} if args.skip_kommon else bench_kommon(args, nq, qdir)
    if "skipped" in kommon:
        print(f"Kommon half skipped: {kommon['skipped']}", file=sys.stderr)
    elif "failed" in kommon:
        print(f"Kommon half failed: {kommon['failed']}", file=sys.stderr)

    report, problems, failed = build_report(meta, nq, ox_res, kommon, args)
    print(report)
    if args.json:
        doc = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "data": meta, "runs": args.runs,
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "python": platform.python_version()},
               "targets": TARGETS, "oxigraph": ox_res, "kommon": kommon,
               "problems": problems, "failed_targets": failed, "report_markdown": report}
        Path(args.json).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}", file=sys.stderr)
    if args.strict and (problems or failed or "failed" in kommon):
        sys.exit(1)


if __name__ == "__main__":
    main()
