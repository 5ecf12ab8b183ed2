//! `pod-server`: serve residents' pods, or create one from the command line.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kommon_rdf::QuadStore;
use pod_server::app::{AppState, router};
use pod_server::config::ServerConfig;
use std::io::Read;

/// mimalloc rather than glibc's allocator: argon2id allocates 19 MiB per password hash, and
/// glibc kept every freed buffer (about 11–19 MiB of resident memory per sign-up, measured in
/// `bench/pod_bench.sh`); mimalloc returns them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "pod-server",
    version,
    about = "Kommon's pod server: residents' Solid pods"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the pods over HTTP until interrupted.
    Serve(ServerConfig),
    /// Create a pod; prints its WebID and storage as JSON. The server must not be running on
    /// the same data folder.
    CreatePod {
        /// The pod's name (its path: /NAME).
        name: String,
        /// Name shown to others (default: the pod's name).
        #[arg(long)]
        display_name: Option<String>,
        /// Contact email.
        #[arg(long)]
        email: Option<String>,
        /// The password; when absent it is read from standard input.
        #[arg(long, env = "KOMMON_POD_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Make client credentials for a pod's resident (for scripts and server-side apps using
    /// the client-credentials grant); prints JSON with `client_id` and `client_secret`. The
    /// server must not be running on the same data folder.
    CreateClient {
        /// The pod whose resident the client acts for.
        name: String,
        /// A label to recognise the credentials by.
        #[arg(long, default_value = "cli")]
        label: String,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Make a new signing key for the OpenID provider now (the old keys stay published until
    /// the tokens they signed expire). The server must not be running on the same data folder.
    RotateKeys {
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
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,pod_server=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(config) => {
            let config = config.resolve();
            if let Some(path) = &config.extra_ca_file {
                let pem =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let n = pod_server::fetch::trust_extra_roots(&pem)?;
                tracing::info!(certificates = n, file = %path.display(), "extra roots trusted");
            }
            let store = open(&config)?;
            let listen = config.listen;
            let base = config.base_url.clone();
            let state = AppState::new(store.clone(), config)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                eprintln!("pod-server : {base} (écoute sur {listen})");
                state.federation.start(state.clone());
                axum::serve(listener, router(state))
                    .with_graceful_shutdown(async {
                        let mut term = tokio::signal::unix::signal(
                            tokio::signal::unix::SignalKind::terminate(),
                        )
                        .ok();
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
                        }
                    })
                    .await
                    .context("serving")
            })?;
            store.flush()?;
            Ok(())
        }
        Command::CreatePod {
            name,
            display_name,
            email,
            password,
            config,
        } => {
            let config = config.resolve();
            let password = match password {
                Some(p) => p,
                None => {
                    let mut p = String::new();
                    std::io::stdin().read_to_string(&mut p)?;
                    p.trim_end_matches(['\n', '\r']).to_owned()
                }
            };
            if password.is_empty() {
                bail!("give a password with --password, KOMMON_POD_PASSWORD or on standard input");
            }
            let store = open(&config)?;
            let state = AppState::new(store.clone(), config)?;
            let account = state.pods.create(
                &name,
                display_name.as_deref().unwrap_or(&name),
                &password,
                email.as_deref(),
            )?;
            store.flush()?;
            let l = &state.pods.layout;
            println!(
                "{}",
                serde_json::json!({
                    "name": account.name,
                    "webid": l.webid(&account.name),
                    "storage": l.storage(&account.name),
                })
            );
            Ok(())
        }
        Command::CreateClient {
            name,
            label,
            config,
        } => {
            let config = config.resolve();
            let store = open(&config)?;
            let state = AppState::new(store.clone(), config)?;
            if !state.pods.accounts.exists(&name)? {
                bail!("there is no pod named {name}");
            }
            let (client_id, client_secret) =
                state.oidc.clients.create_credentials(&name, &label)?;
            store.flush()?;
            println!(
                "{}",
                serde_json::json!({
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "webid": state.pods.layout.webid(&name),
                    "issuer": state.oidc.issuer,
                })
            );
            Ok(())
        }
        Command::RotateKeys { config } => {
            let config = config.resolve();
            let store = open(&config)?;
            let state = AppState::new(store.clone(), config)?;
            state.oidc.rotate_keys()?;
            store.flush()?;
            println!("{}", serde_json::to_string(&state.oidc.jwks())?);
            Ok(())
        }
    }
}
