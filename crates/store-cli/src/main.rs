//! `kommon-store`: the command line of Kommon's Linked Data store.

mod bench;
mod load;
mod serve;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use kommon_rdf::codec::{RdfFormat, serialize_quads};
use kommon_rdf::{QuadStore, StoreOptions};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kommon-store", version, about = "Kommon's Linked Data store")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the SPARQL endpoint (`/sparql`), the JSON-LD context and `/health`.
    Serve {
        /// The store folder.
        #[arg(long, default_value = "./data/store", env = "KOMMON_STORE")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7878", env = "KOMMON_LISTEN")]
        listen: std::net::SocketAddr,
        /// Accept SPARQL updates carrying `Authorization: Bearer TOKEN`; without it, updates are refused.
        #[arg(long, env = "KOMMON_UPDATE_TOKEN", hide_env_values = true)]
        update_token: Option<String>,
        /// Longest query time, in seconds.
        #[arg(long, default_value_t = 30, env = "KOMMON_QUERY_TIMEOUT")]
        timeout: u64,
    },
    /// Load an N-Quads file, one document per named graph.
    Load {
        /// The store folder.
        #[arg(long, default_value = "./data/store", env = "KOMMON_STORE")]
        data: PathBuf,
        /// The N-Quads file.
        file: PathBuf,
        /// Write new documents as ready-made tables (much faster; memory grows with the file).
        #[arg(long)]
        bulk: bool,
    },
    /// Write the whole store as N-Quads on standard output.
    Dump {
        /// The store folder.
        #[arg(long, default_value = "./data/store", env = "KOMMON_STORE")]
        data: PathBuf,
    },
    /// Run a query over the union of all documents and print its plan with statistics (JSON).
    Explain {
        /// The store folder.
        #[arg(long, default_value = "./data/store", env = "KOMMON_STORE")]
        data: PathBuf,
        /// A file holding the query.
        query: PathBuf,
    },
    /// Check that the indexes agree and every term resolves.
    Check {
        /// The store folder.
        #[arg(long, default_value = "./data/store", env = "KOMMON_STORE")]
        data: PathBuf,
    },
    /// Load a data set and run a query mix; prints one JSON object (see bench/README.md).
    Bench {
        /// The store folder (created).
        #[arg(long)]
        db: PathBuf,
        /// An N-Quads file to load first.
        #[arg(long)]
        load: Option<PathBuf>,
        /// A folder of `.rq` queries.
        #[arg(long)]
        queries: PathBuf,
        /// Timed runs per query, after one warm-up run.
        #[arg(long, default_value_t = 15)]
        runs: usize,
        /// sled's page cache in MiB.
        #[arg(long, default_value_t = 256)]
        cache_mb: u64,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve {
            data,
            listen,
            update_token,
            timeout,
        } => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve::run(&data, listen, update_token, timeout))?;
        }
        Command::Load { data, file, bulk } => {
            let store = QuadStore::open(&data, &StoreOptions::default())?;
            let stats = if bulk {
                load::bulk_load_nquads(&store, &file)?
            } else {
                load::load_nquads(&store, &file)?
            };
            store.flush()?;
            eprintln!(
                "{} quads in {} documents loaded",
                stats.quads, stats.documents
            );
        }
        Command::Dump { data } => {
            let store = QuadStore::open(&data, &StoreOptions::default())?;
            let quads = store.quads_for_pattern(None, None, None, None)?;
            let bytes = serialize_quads(RdfFormat::NQuads, &quads)?;
            std::io::stdout()
                .lock()
                .write_all(&bytes)
                .context("writing to standard output")?;
        }
        Command::Explain { data, query } => {
            let store = QuadStore::open(&data, &StoreOptions::default())?;
            let text = std::fs::read_to_string(&query)?;
            let parsed = kommon_rdf::parse_query(&text, None)?;
            let options = kommon_rdf::QueryOptions {
                default_graph_as_union: true,
                ..kommon_rdf::QueryOptions::default()
            };
            println!("{}", store.explain(&parsed, &options)?);
        }
        Command::Check { data } => {
            let store = QuadStore::open(&data, &StoreOptions::default())?;
            let n = store.check_consistency()?;
            eprintln!("consistent: {n} quads");
        }
        Command::Bench {
            db,
            load,
            queries,
            runs,
            cache_mb,
        } => {
            bench::run(&db, load.as_deref(), &queries, runs, cache_mb)?;
        }
    }
    Ok(())
}
