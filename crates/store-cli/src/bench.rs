//! `kommon-store bench`: load an N-Quads file as documents, run a query mix, and print one JSON
//! object with the figures that `bench/store_bench.py` compares with pyoxigraph.

use crate::load::bulk_load_nquads;
use anyhow::{Context, Result};
use kommon_rdf::{QuadStore, QueryOptions, QueryOutcome, StoreOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Peak resident memory of this process since the last reset, in bytes (Linux).
fn peak_rss() -> u64 {
    status_field("VmHWM:")
}

fn current_rss() -> u64 {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Resets the kernel's peak-RSS counter so the query phase is measured on its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn result_count(outcome: &QueryOutcome) -> usize {
    match outcome {
        QueryOutcome::Solutions { rows, .. } => rows.len(),
        QueryOutcome::Boolean(b) => usize::from(*b),
        QueryOutcome::Graph(t) => t.len(),
    }
}

/// Runs the benchmark and prints its JSON report.
pub fn run(
    db: &Path,
    load: Option<&Path>,
    queries: &Path,
    runs: usize,
    cache_mb: u64,
) -> Result<()> {
    let options = StoreOptions {
        cache_capacity: cache_mb * 1024 * 1024,
        ..StoreOptions::default()
    };
    let store = QuadStore::open(db, &options).context("opening the store")?;
    let mut report = serde_json::Map::new();
    if let Some(file) = load {
        let start = Instant::now();
        let stats = bulk_load_nquads(&store, file)?;
        store.flush()?;
        // The load is over when the store is at rest (memtables flushed, compactions done),
        // as it is when pyoxigraph's bulk_load returns.
        store.wait_for_background_work(Duration::from_secs(900));
        let seconds = start.elapsed().as_secs_f64();
        let tables_before = store.table_count();
        let start = Instant::now();
        store.optimize()?;
        store.wait_for_background_work(Duration::from_secs(900));
        report.insert(
            "optimize_seconds".into(),
            start.elapsed().as_secs_f64().into(),
        );
        report.insert("tables_before_optimize".into(), tables_before.into());
        report.insert("tables_after_optimize".into(), store.table_count().into());
        report.insert("quads".into(), stats.quads.into());
        report.insert("documents".into(), stats.documents.into());
        report.insert("load_seconds".into(), seconds.into());
        report.insert("load_peak_rss_bytes".into(), peak_rss().into());
    }
    report.insert("disk_bytes".into(), dir_size(db).into());
    if load.is_some() {
        // The queries run in a fresh process on the loaded folder, as a server would after a
        // restart: what the load leaves in the allocator is not the query phase's memory.
        drop(store);
        let output = std::process::Command::new(std::env::current_exe()?)
            .arg("bench")
            .arg("--db")
            .arg(db)
            .arg("--queries")
            .arg(queries)
            .arg("--runs")
            .arg(runs.to_string())
            .arg("--cache-mb")
            .arg(cache_mb.to_string())
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("running the query phase")?;
        anyhow::ensure!(output.status.success(), "the query phase failed");
        let queried: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&output.stdout).context("reading the query phase's report")?;
        for key in ["queries", "peak_rss_bytes", "rss_after_queries_bytes"] {
            if let Some(v) = queried.get(key) {
                report.insert(key.into(), v.clone());
            }
        }
        println!("{}", serde_json::Value::Object(report));
        return Ok(());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(queries)
        .with_context(|| format!("reading {}", queries.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rq"))
        .collect();
    files.sort();
    reset_peak_rss();
    let query_options = QueryOptions {
        default_graph_as_union: true,
        timeout: Some(Duration::from_secs(600)),
        max_results: None,
        ..QueryOptions::default()
    };
    let mut results = serde_json::Map::new();
    for file in files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file)?;
        let query =
            kommon_rdf::parse_query(&text, None).with_context(|| format!("parsing {name}"))?;
        // One warm-up run, as the pyoxigraph side does.
        let first = store
            .query_parsed(&query, &query_options)
            .with_context(|| format!("running {name}"))?;
        let count = result_count(&first);
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let outcome = store.query_parsed(&query, &query_options)?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(outcome);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let median = times[times.len() / 2];
        let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
        let mut entry = serde_json::Map::new();
        entry.insert("median_ms".into(), median.into());
        entry.insert("p90_ms".into(), p90.into());
        entry.insert("results".into(), count.into());
        results.insert(name, entry.into());
    }
    report.insert("queries".into(), results.into());
    report.insert("peak_rss_bytes".into(), peak_rss().into());
    report.insert("rss_after_queries_bytes".into(), current_rss().into());
    println!("{}", serde_json::Value::Object(report));
    Ok(())
}
