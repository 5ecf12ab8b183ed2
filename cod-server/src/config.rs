//! cod-server's settings: command-line flags, each with an environment variable.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// How a cod-server runs.
#[derive(Args, Clone, Debug)]
pub struct ServerConfig {
    /// Folder of the server's data (created if missing).
    #[arg(long, env = "KOMMON_COD_DATA", default_value = "./cod-data")]
    pub data: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "KOMMON_COD_LISTEN", default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,
    /// Public base URL of the server (ids of communities); default `http://` + listen address
    /// with `localhost`.
    #[arg(long = "base-url", env = "KOMMON_COD_BASE_URL")]
    pub base_url_arg: Option<String>,
    /// Development mode: accept the `X-Kommon-Dev-Agent` header and fetch on loopback. Never in
    /// production.
    #[arg(long, env = "KOMMON_COD_DEV", default_value_t = false)]
    pub dev: bool,
    /// Memory for the store's block cache, in MiB.
    #[arg(long, env = "KOMMON_COD_CACHE_MIB", default_value_t = 48)]
    pub cache_mib: u64,
    /// The unit of the delivery retry schedule, in microseconds (one second in production).
    #[arg(long, env = "KOMMON_COD_DELIVERY_UNIT_US", default_value_t = 1_000_000)]
    pub delivery_backoff_unit_us: u64,
    /// A PEM file of certificates to trust beyond the system's roots.
    #[arg(long, env = "KOMMON_EXTRA_CA_FILE")]
    pub extra_ca_file: Option<PathBuf>,
    /// The map's tile server (`{z}/{x}/{y}` URL template); empty for no tiles (offline).
    #[arg(
        long,
        env = "KOMMON_MAP_TILES",
        default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )]
    pub map_tiles: String,
    /// The attribution the tile server asks for.
    #[arg(
        long,
        env = "KOMMON_MAP_ATTRIBUTION",
        default_value = "© les contributeurs d’OpenStreetMap"
    )]
    pub map_attribution: String,
    /// How often a network compares each member place's collections with its copy, in
    /// seconds.
    #[arg(long, env = "KOMMON_RECONCILE_EVERY_S", default_value_t = 3600)]
    pub reconcile_every_s: u64,
    /// The SMTP server that tells moderators of waiting requests: `smtp://host:25` (plain, on
    /// a local relay), `smtp://user:pass@host:587?tls=required`, `smtps://user:pass@host:465`.
    /// Without it, the count on the moderation page is the only notice.
    #[arg(long, env = "KOMMON_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of those emails.
    #[arg(
        long,
        env = "KOMMON_MAIL_FROM",
        default_value = "Kommon <ne-pas-repondre@localhost>"
    )]
    pub mail_from: String,
    /// At most one email per place in this many seconds (a digest of what waits).
    #[arg(long, env = "KOMMON_NOTIFY_EVERY_S", default_value_t = 600)]
    pub notify_every_s: u64,
    /// A pod-server where people invited by a place may open a pod (its base URL); the
    /// invitation page links to its sign-up. Without it, the page names no host.
    #[arg(long, env = "KOMMON_POD_PROVIDER")]
    pub pod_provider: Option<String>,
    /// A guided tour (JSON) for the network's home page, as the demonstrator writes it.
    #[arg(long, env = "KOMMON_TOUR")]
    pub tour: Option<std::path::PathBuf>,
    /// The resolved base URL (filled from `base_url_arg` or the listen address).
    #[arg(skip)]
    pub base_url: String,
}

impl ServerConfig {
    /// The store's tuning for this server.
    pub fn store_options(&self) -> kommon_rdf::StoreOptions {
        kommon_rdf::StoreOptions {
            cache_capacity: self.cache_mib.max(8) * 1024 * 1024,
            write_buffer_bytes: 16 * 1024 * 1024,
            term_cache_entries: 50_000,
            sync_commits: false,
        }
    }

    /// Fills the derived fields.
    pub fn resolve(mut self) -> Self {
        self.base_url = match &self.base_url_arg {
            Some(b) => b.trim_end_matches('/').to_owned(),
            None => {
                let host = if self.listen.ip().is_loopback() || self.listen.ip().is_unspecified() {
                    "localhost".to_owned()
                } else {
                    self.listen.ip().to_string()
                };
                format!("http://{host}:{}", self.listen.port())
            }
        };
        self
    }
}
