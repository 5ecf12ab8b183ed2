//! The same query mix with spareval over an in-memory `oxrdf::Dataset`: separates the cost of
//! the evaluator from the cost of the store. `cargo run --release --example engine_baseline -- FILE.nq QUERIES_DIR`
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let file = std::fs::File::open(&args[1])?;
    let mut dataset = kommon_rdf::model::Dataset::new();
    for q in oxttl::NQuadsParser::new().for_reader(std::io::BufReader::new(file)) {
        dataset.insert(&q?);
    }
    let mut files: Vec<_> = std::fs::read_dir(&args[2])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        let query = kommon_rdf::parse_query(&text, None)?;
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let evaluator = spareval::QueryEvaluator::new();
            let mut prepared = evaluator.prepare(&query);
            prepared.dataset_mut().set_default_graph_as_union();
            if let spareval::QueryResults::Solutions(s) = prepared.execute(&dataset)? {
                n = s.count();
            }
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{:?} {:.2} ms ({n} rows)",
            f.file_stem().unwrap_or_default(),
            times[2]
        );
    }
    Ok(())
}
