//! `cod-server`: serve places' community pods, or create one from the command line.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use cod_server::app::{AppState, router};
use cod_server::config::ServerConfig;
use kommon_rdf::QuadStore;

#[derive(Parser)]
#[command(
    name = "cod-server",
    version,
    about = "Kommon's community pod server: places' community pods"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the communities over HTTP until interrupted.
    Serve(ServerConfig),
    /// Create a community with its first admin; prints its actor id as JSON. The server must not
    /// be running on the same data folder.
    CreateCommunity {
        /// Its path segment (/SLUG): lowercase letters, digits and dashes.
        slug: String,
        /// Its name, such as « Le 6B ».
        #[arg(long)]
        name: String,
        /// The WebID of its first admin (who may then name moderators).
        #[arg(long)]
        admin: String,
        /// More moderators (WebIDs).
        #[arg(long)]
        moderator: Vec<String>,
        #[command(flatten)]
        config: ServerConfig,
    },
}

fn open(config: &ServerConfig) -> Result<QuadStore> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("creating {}", config.data.display()))?;
    QuadStore::open(&config.data, &config.store_options()).with_context(|| {
        format!(
            "opening the store in {} (is a server already running on it?)",
            config.data.display()
        )
    })
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KOMMON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,cod_server=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(config) => {
            let config = config.resolve();
            if let Some(path) = &config.extra_ca_file {
                let pem =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                kommon_activitypub::guard::trust_extra_roots(&pem)?;
            }
            let store = open(&config)?;
            let listen = config.listen;
            let base = config.base_url.clone();
            let state = AppState::new(store, config)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                eprintln!("cod-server : {base} (écoute sur {listen})");
                state.federation.start(state.clone());
                axum::serve(listener, router(state))
                    .await
                    .context("serving")
            })
        }
        Command::CreateCommunity {
            slug,
            name,
            admin,
            moderator,
            config,
        } => {
            let config = config.resolve();
            let store = open(&config)?;
            let state = AppState::new(store.clone(), config)?;
            let fed = &state.federation;
            let mut c = fed.registry.create(
                &slug,
                &name,
                &admin,
                kommon_activitypub::delivery::now_ms(),
            )?;
            for m in moderator {
                if !kommon_activitypub::json::is_http_url(&m) {
                    anyhow::bail!("{m} is not an http(s) WebID");
                }
                c.moderators.push(m);
            }
            fed.registry.save(&c)?;
            fed.community_keys.key_pair(&slug)?;
            store.flush()?;
            println!(
                "{}",
                serde_json::json!({"id": fed.community_id(&slug), "slug": slug, "name": c.name})
            );
            Ok(())
        }
    }
}
