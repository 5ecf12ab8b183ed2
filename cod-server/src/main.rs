//! `cod-server`: serve places' community pods, or create one from the command line.

use anyhow::Result;
use clap::{Parser, Subcommand};
use cod_server::app::AppState;
use cod_server::config::ServerConfig;

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
        /// Make it a network: its members are places, and the server serves the network's
        /// public site (one network per server).
        #[arg(long)]
        network: bool,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Fill the network's public store from N-Quads, one named graph per document (a dump of
    /// /donnees/public.nq, a national data set). The server must not be running.
    NetworkImport {
        /// The N-Quads file.
        file: std::path::PathBuf,
        /// Skip the shapes: for data the network had already validated (a restore).
        #[arg(long)]
        trusted: bool,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Write a backup of the whole store (communities, records, keys, queues) as of one moment
    /// to FILE, and of the network's public store to FILE.network when it runs one. The server
    /// must not be running on the same data folder.
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
    /// Write the archive of one community (RGPD portability: the place's record, its actor,
    /// every collection with its items, residencies, orientation, invitations and photos, as
    /// JSON in a tar) to FILE, as its admins download it from `/{slug}/export`. The server
    /// must not be running on the same data folder.
    ExportCommunity {
        /// The community.
        slug: String,
        /// Where to write the archive.
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Invite the residents of a CSV list (a spreadsheet's export: nom, courriel, discipline,
    /// site…) to community SLUG: prints, as JSON, each invitation's link to send, and the rows
    /// refused with their line. Nothing is published until each person accepts. The admin page
    /// `/{slug}/invitations` does the same and emails the links. The server must not be running.
    ImportResidents {
        /// The community.
        #[arg(long)]
        community: String,
        /// The CSV file.
        file: std::path::PathBuf,
        #[command(flatten)]
        config: ServerConfig,
    },
    /// Restore a backup (and FILE.network if there is one) into the data folder, which must be
    /// empty (the server not running).
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        #[command(flatten)]
        config: ServerConfig,
    },
}

fn network_file(file: &std::path::Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".network");
    name.into()
}

fn main() -> Result<()> {
    kommon_activitypub::metrics::init_logs("warn,cod_server=info");
    match Cli::parse().command {
        Command::Serve(config) => cod_server::app::serve(config.resolve()),
        Command::Deliveries { config } => {
            let config = config.resolve();
            let store = cod_server::app::open_store(&config)?;
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
            let store = cod_server::app::open_store(&config)?;
            let queue = kommon_activitypub::delivery::DeliveryQueue::new(&store);
            let retried = queue.retry_dead(host.as_deref())?;
            store.flush()?;
            println!("{}", serde_json::json!({"retried": retried}));
            Ok(())
        }
        Command::Backup { file, config } => {
            let config = config.resolve();
            let store = cod_server::app::open_store(&config)?;
            let stats = store.backup(std::fs::File::create(&file)?)?;
            let public = cod_server::network::public_store_path(&config.data);
            let network = if public.exists() {
                let public = kommon_rdf::QuadStore::open(&public, &config.store_options())?;
                Some(
                    public
                        .backup(std::fs::File::create(network_file(&file))?)?
                        .entries,
                )
            } else {
                None
            };
            println!(
                "{}",
                serde_json::json!({"file": file, "entries": stats.entries, "bytes": stats.bytes, "network_entries": network})
            );
            Ok(())
        }
        Command::Restore { file, config } => {
            let config = config.resolve();
            std::fs::create_dir_all(&config.data)?;
            let stats = kommon_rdf::QuadStore::restore(
                &config.data,
                &config.store_options(),
                std::fs::File::open(&file)?,
            )?;
            let network = network_file(&file);
            let network = if network.exists() {
                let public = cod_server::network::public_store_path(&config.data);
                std::fs::create_dir_all(&public)?;
                Some(
                    kommon_rdf::QuadStore::restore(
                        &public,
                        &config.store_options(),
                        std::fs::File::open(&network)?,
                    )?
                    .entries,
                )
            } else {
                None
            };
            println!(
                "{}",
                serde_json::json!({"data": config.data, "entries": stats.entries, "network_entries": network})
            );
            Ok(())
        }
        Command::ExportCommunity { slug, out, config } => {
            let config = config.resolve();
            let store = cod_server::app::open_store(&config)?;
            let state = AppState::new(store.clone(), config)?;
            let archive = cod_server::export::community_archive(&state, &slug)
                .map_err(|e| anyhow::anyhow!("exporting {slug}: {e}"))?
                .ok_or_else(|| anyhow::anyhow!("there is no community {slug}"))?;
            std::fs::write(&out, &archive)?;
            println!(
                "{}",
                serde_json::json!({"community": slug, "file": out, "bytes": archive.len()})
            );
            Ok(())
        }
        Command::ImportResidents {
            community,
            file,
            config,
        } => {
            let config = config.resolve();
            let store = cod_server::app::open_store(&config)?;
            let state = AppState::new(store.clone(), config)?;
            if state.federation.registry.get(&community)?.is_none() {
                anyhow::bail!("there is no community {community}");
            }
            let bytes = std::fs::read(&file)?;
            let report = state.invitations.import(
                &community,
                &bytes,
                kommon_activitypub::delivery::now_ms(),
            )?;
            store.flush()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "invited": report.invited.iter().map(|i| serde_json::json!({
                        "line": i.line, "name": i.name, "email": i.email,
                        "link": cod_server::invitations::link(&state, i),
                    })).collect::<Vec<_>>(),
                    "refused": report.problems.iter().map(|p| serde_json::json!({
                        "line": p.line, "fr": p.fr, "en": p.en,
                    })).collect::<Vec<_>>(),
                    "ignored_columns": report.ignored_columns,
                }))?
            );
            Ok(())
        }
        Command::NetworkImport {
            file,
            trusted,
            config,
        } => {
            let config = config.resolve();
            let store = cod_server::app::open_store(&config)?;
            let state = AppState::new(store.clone(), config)?;
            let Some(net) = state.network.clone() else {
                anyhow::bail!(
                    "this server runs no network (create one with create-community --network)"
                );
            };
            let started = std::time::Instant::now();
            let report = cod_server::network::import::import_nquads(&net, &file, trusted)?;
            net.records.store().flush()?;
            store.flush()?;
            println!(
                "{}",
                serde_json::json!({
                    "documents": report.documents, "stored": report.stored,
                    "refused": report.refused, "skipped": report.skipped,
                    "residencies": report.residencies,
                    "seconds": started.elapsed().as_secs_f64(),
                })
            );
            Ok(())
        }
        Command::CreateCommunity {
            slug,
            name,
            admin,
            moderator,
            network,
            config,
        } => {
            let config = config.resolve();
            let store = cod_server::app::open_store(&config)?;
            let state = AppState::new(store.clone(), config)?;
            let fed = &state.federation;
            if network && let Some(other) = fed.registry.list()?.into_iter().find(|c| c.network) {
                anyhow::bail!("this server already runs the network {}", other.slug);
            }
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
            c.network = network;
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
