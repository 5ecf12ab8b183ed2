//! `pod-server`: serve residents' pods, or create one from the command line.

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use kommon_rdf::QuadStore;
use pod_server::app::AppState;
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
    /// Write a backup of the whole store (pods, accounts, keys, queues) as of one moment to
    /// FILE. The server must not be running on the same data folder.
    Backup {
        /// Where to write it.
        file: std::path::PathBuf,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// List the deliveries given up after every retry (one JSON object per line: host, inbox,
    /// activity, attempts, when queued). The server must not be running on the same data folder.
    Deliveries {
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Put the deliveries given up back in the queue (for one host with --host), attempts reset;
    /// the server sends them when it starts. The server must not be running.
    RetryDeliveries {
        /// Only those to this host (`example.org` or `example.org:8080`).
        #[arg(long)]
        host: Option<String>,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Write the archive of one pod (RGPD portability: every document as TriG, or JSON-LD with
    /// --jsonld, its files and a manifest) to FILE, as its owner downloads it from the pod page.
    /// The server must not be running on the same data folder.
    ExportPod {
        /// The pod's name.
        name: String,
        /// Where to write the archive (a tar).
        #[arg(long)]
        out: std::path::PathBuf,
        /// JSON-LD documents rather than TriG.
        #[arg(long)]
        jsonld: bool,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Delete one pod and everything in it, the erasure propagated: its `Delete` is delivered to
    /// its followers, the actors it follows and the places it joined (waiting up to --wait-s
    /// seconds, while its key still signs), then its apps, logins and data go. Prints the hosts
    /// the `Delete` could not reach in that time (`hosts_not_reached`): with the key gone, it is
    /// not retried. The server must not be running on the same data folder.
    DeletePod {
        /// The pod's name.
        name: String,
        /// How long to wait for the `Delete` to be delivered.
        #[arg(long, default_value_t = 30)]
        wait_s: u64,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Give a resident a new password (read from standard input, or --password). The server
    /// must not be running on the same data folder.
    ResetPassword {
        /// The pod's name.
        name: String,
        /// The new password; when absent it is read from standard input.
        #[arg(long, env = "KOMMON_POD_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Restore a backup into the data folder, which must be empty (the server not running).
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        #[command(flatten)]
        config: ServerConfig,
    },
}

fn open(config: &ServerConfig) -> Result<QuadStore> {
    pod_server::app::open_store(config)
}

/// The password given as an option, or else the first line of standard input.
fn password_or_stdin(given: Option<String>) -> Result<String> {
    Ok(match given {
        Some(p) => p,
        None => {
            let mut p = String::new();
            std::io::stdin().read_to_string(&mut p)?;
            p.trim_end_matches(['\n', '\r']).to_owned()
        }
    })
}

fn main() -> Result<()> {
    kommon_activitypub::metrics::init_logs("warn,pod_server=info");
    match Cli::parse().command {
        Command::Serve(config) => pod_server::app::serve(config.resolve()),
        Command::Deliveries { config } => {
            let config = config.resolve();
            let store = open(&config)?;
            let queue = kommon_activitypub::delivery::DeliveryQueue::new(&store);
            for (host, entry) in queue.dead_letters()? {
                let line = match entry {
                    Some(e) => {
                        serde_json::json!({"host": host, "inbox": e.inbox, "activity": e.activity,
                        "attempts": e.attempts, "queued": kommon_solid::storage::xsd_datetime(e.queued_ms)})
                    }
                    None => serde_json::json!({"host": host, "unreadable": true}),
                };
                println!("{line}");
            }
            Ok(())
        }
        Command::RetryDeliveries { host, config } => {
            let config = config.resolve();
            let store = open(&config)?;
            let queue = kommon_activitypub::delivery::DeliveryQueue::new(&store);
            let retried = queue.retry_dead(host.as_deref())?;
            store.flush()?;
            println!("{}", serde_json::json!({"retried": retried}));
            Ok(())
        }
        Command::ResetPassword {
            name,
            password,
            config,
        } => {
            let config = config.resolve();
            let password = password_or_stdin(password)?;
            let store = open(&config)?;
            pod_server::accounts::AccountStore::new(&store).reset_password(&name, &password)?;
            store.flush()?;
            println!("{}", serde_json::json!({"name": name, "reset": true}));
            Ok(())
        }
        Command::Backup { file, config } => {
            let config = config.resolve();
            let store = open(&config)?;
            let stats = store.backup(std::fs::File::create(&file)?)?;
            println!(
                "{}",
                serde_json::json!({"file": file, "entries": stats.entries, "bytes": stats.bytes})
            );
            Ok(())
        }
        Command::Restore { file, config } => {
            let config = config.resolve();
            std::fs::create_dir_all(&config.data)?;
            let stats = QuadStore::restore(
                &config.data,
                &config.store_options(),
                std::fs::File::open(&file)?,
            )?;
            println!(
                "{}",
                serde_json::json!({"data": config.data, "entries": stats.entries, "bytes": stats.bytes})
            );
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
            let password = password_or_stdin(password)?;
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
        Command::ExportPod {
            name,
            out,
            jsonld,
            config,
        } => {
            let config = config.resolve();
            let store = open(&config)?;
            let state = AppState::new(store.clone(), config)?;
            if !state.pods.accounts.exists(&name)? {
                bail!("there is no pod named {name}");
            }
            let archive = pod_server::account::export_archive(&state, &name, jsonld)
                .map_err(|e| anyhow::anyhow!("exporting {name}: {e}"))?;
            std::fs::write(&out, &archive)?;
            println!(
                "{}",
                serde_json::json!({"pod": name, "file": out, "bytes": archive.len()})
            );
            Ok(())
        }
        Command::DeletePod {
            name,
            wait_s,
            config,
        } => {
            let config = config.resolve();
            let store = open(&config)?;
            let state = AppState::new(store.clone(), config)?;
            if !state.pods.accounts.exists(&name)? {
                bail!("there is no pod named {name}");
            }
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                // Deliveries run here while the server is stopped, so the Delete leaves now.
                state.federation.deliverer.resume();
                pod_server::account::erase_pod(
                    &state,
                    &name,
                    std::time::Duration::from_secs(wait_s),
                )
                .await
                .map_err(|e| anyhow::anyhow!("deleting {name}: {e}"))
            })?;
            // What the pod had still to send could not be signed any more: say where.
            let webid = state.pods.layout.webid(&name);
            let queue = state.federation.deliverer.queue();
            let mut missed = Vec::new();
            for host in queue.hosts_with_entries()? {
                if queue.pending(&host)?.iter().any(|(_, e)| e.signer == webid) {
                    missed.push(host);
                }
            }
            store.flush()?;
            println!(
                "{}",
                serde_json::json!({"pod": name, "deleted": true, "hosts_not_reached": missed})
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
